// SPDX-License-Identifier: MIT
#include <cerrno>
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>

using namespace hbm;

// These refusals happen before any device is touched, so they hold on every machine.

TEST(BufferErrors, ZeroSizeIsRefused)
{
	auto b = Buffer::allocateFromHeap({0, 1080, DRM_FORMAT_XRGB8888}, "system");
	ASSERT_FALSE(b);
	EXPECT_EQ(b.error().code, EINVAL);
	EXPECT_NE(b.error().message.find("0x1080"), std::string::npos) << b.error().message;
}

TEST(BufferErrors, UnknownFourccIsRefused)
{
	auto b = Buffer::allocateFromHeap({64, 64, fourcc_code('N', 'O', 'P', 'E')}, "system");
	ASSERT_FALSE(b);
	EXPECT_EQ(b.error().code, EINVAL);
	EXPECT_NE(b.error().message.find("unknown format NOPE"), std::string::npos) << b.error().message;
}

TEST(BufferErrors, HeapThatIsNotThereIsNamed)
{
	auto b = Buffer::allocateFromHeap({64, 64, DRM_FORMAT_XRGB8888}, "no-such-heap");
	ASSERT_FALSE(b);
	EXPECT_EQ(b.error().code, ENOENT);
	EXPECT_NE(b.error().message.find("no dma-heap named 'no-such-heap'"), std::string::npos)
		<< b.error().message;
	EXPECT_NE(b.error().message.find("heaps here:"), std::string::npos) << b.error().message;
}
