// SPDX-License-Identifier: MIT
// A participant whose probe fails says which device and why.
#include <cerrno>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <hbm/kms.hpp>
#include <hbm/unique_fd.hpp>
#include <hbm/v4l2.hpp>

#include "fakes/process_resources.hpp"

using namespace hbm;
using hbm::test::openFdCount;
using hbm::test::openFdList;

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

TEST(ProbeErrors, AdoptingAnFdThatIsNotDrmNamesTheFd)
{
	const size_t fdsBefore = openFdCount();
	int ends[2];
	ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
	UniqueFd readEnd(ends[0]), writeEnd(ends[1]);
	auto pipe = KmsDevice::fromFd(readEnd.get());
	ASSERT_FALSE(pipe);
	EXPECT_NE(pipe.error().message.find("fd " + std::to_string(readEnd.get()) + " (pipe:["), std::string::npos)
		<< pipe.error().message;
	EXPECT_NE(pipe.error().message.find("is not a DRM device"), std::string::npos) << pipe.error().message;
	EXPECT_EQ(::fcntl(readEnd.get(), F_GETFD), FD_CLOEXEC) << "the caller's fd must stay open";

	UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
	auto notDrm = KmsDevice::fromFd(null.get());
	ASSERT_FALSE(notDrm);
	EXPECT_NE(notDrm.error().message.find("fd " + std::to_string(null.get()) + " (/dev/null) is not a DRM device"),
		  std::string::npos) << notDrm.error().message;

	auto closed = KmsDevice::fromFd(-1);
	ASSERT_FALSE(closed);
	EXPECT_EQ(closed.error().code, EBADF);
	EXPECT_NE(closed.error().message.find("DRM fd -1 is not a descriptor"), std::string::npos)
		<< closed.error().message;

	readEnd.reset();
	writeEnd.reset();
	null.reset();
	EXPECT_EQ(openFdCount(), fdsBefore) << "a duplicate outlived its refusal: " << openFdList();
}

TEST(ProbeErrors, BorrowedV4l2FdThatIsNot)
{
	auto closed = V4l2Device::fromFd(-1);
	ASSERT_FALSE(closed);
	EXPECT_EQ(closed.error().code, EBADF);

	UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
	ASSERT_TRUE(null);
	auto notV4l2 = V4l2Device::fromFd(null.get());
	ASSERT_FALSE(notV4l2);
	EXPECT_EQ(notV4l2.error().code, ENODEV);
	EXPECT_NE(notV4l2.error().message.find("(/dev/null) is not a V4L2 device"), std::string::npos)
		<< notV4l2.error().message;
}
