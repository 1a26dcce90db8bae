// SPDX-License-Identifier: MIT
// A participant whose probe fails says which device and why.
#include <cerrno>
#include <gtest/gtest.h>

#include <hbm/kms.hpp>
#include <hbm/v4l2.hpp>

using namespace hbm;

TEST(ProbeErrors, DeviceGoneOrNotADevice)
{
	auto gone = KmsDevice::open("/dev/dri/card99");
	ASSERT_FALSE(gone);
	EXPECT_EQ(gone.error().code, ENOENT);
	EXPECT_NE(gone.error().message.find("cannot open DRM device /dev/dri/card99"), std::string::npos);

	auto notDrm = KmsDevice::open("/dev/null");
	ASSERT_FALSE(notDrm);
	EXPECT_NE(notDrm.error().message.find("/dev/null is not a DRM device"), std::string::npos) << notDrm.error().message;

	auto notV4l2 = V4l2Device::open("/dev/null");
	ASSERT_FALSE(notV4l2);
	EXPECT_NE(notV4l2.error().message.find("/dev/null is not a V4L2 device"), std::string::npos) << notV4l2.error().message;

	auto noSuchDriver = V4l2Device::openByDriver("no-such-driver", V4l2Queue::Capture);
	ASSERT_FALSE(noSuchDriver);
	EXPECT_EQ(noSuchDriver.error().code, ENODEV);
	EXPECT_NE(noSuchDriver.error().message.find("no V4L2 capture device with driver 'no-such-driver'"), std::string::npos);
}
