// SPDX-License-Identifier: MIT
// Import of real dma-bufs with layouts that do not fit them: each refused, naming the
// plane and the numbers, with nothing left open.
#include <cerrno>
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

class Import : public ::testing::Test
{
protected:
	void SetUp() override
	{
		system_ = allocatorFor("system");
		HBM_REQUIRE_DEVICE(!system_.empty(), "no system dma-heap");
		buffer_ = allocateFrom(system_, {64, 64, DRM_FORMAT_XRGB8888}); // 16 KiB
		other_ = allocateFrom(system_, {64, 64, DRM_FORMAT_XRGB8888});
		ASSERT_TRUE(buffer_ && other_);
		fd_ = buffer_->planeFd(0).get();
	}

	void expectRefusal(const ImportDesc &desc, int code, const std::string &text)
	{
		size_t before = openFdCount();
		auto b = Buffer::import(desc);
		ASSERT_FALSE(b) << text;
		EXPECT_EQ(b.error().code, code) << b.error().message;
		EXPECT_NE(b.error().message.find(text), std::string::npos) << b.error().message;
		EXPECT_EQ(openFdCount(), before) << "a refused import left a descriptor open";
	}

	std::string system_;
	std::shared_ptr<Buffer> buffer_, other_;
	int fd_ = -1;
};

TEST_F(Import, AValidLayoutImportsAndSharesTheMemory)
{
	auto b = Buffer::import({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd_, 0, 256}}});
	ASSERT_TRUE(b) << b.error().toString();
	EXPECT_EQ((*b)->origin(), "import");
	EXPECT_NE((*b)->planeFd(0).get(), fd_) << "import must hold its own descriptor";
	{
		auto w = buffer_->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(w);
		w->plane(0)[100] = 0x5a;
	}
	auto r = (*b)->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_TRUE(r);
	EXPECT_EQ(r->plane(0)[100], 0x5a);
}

TEST_F(Import, StrideSmallerThanARow)
{
	expectRefusal({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd_, 0, 200}}}, EINVAL,
		      "plane 0: stride 200 is smaller than a row (256 bytes)");
}

TEST_F(Import, PlanePastTheEnd)
{
	expectRefusal({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd_, 4096, 256}}}, EINVAL,
		      "plane 0: offset 4096 + 16384 bytes runs past the end of its 16384-byte dma-buf");
	expectRefusal({64, 128, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd_, 0, 256}}}, EINVAL,
		      "runs past the end");
}

// EINVAL as every other description that fits no buffer (was EOVERFLOW, which broke the
// rule receiveBuffer() documents: EPROTO for the wire, EINVAL for the description).
TEST_F(Import, SizeArithmeticThatOverflows)
{
	expectRefusal({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd_, ~0ull - 100, 256}}},
		      EINVAL, "plane 0: offset 18446744073709551515 + 16384 bytes overflows");
}

TEST_F(Import, VendorLayoutPlanesMustShareABuffer)
{
	int otherFd = other_->planeFd(0).get();
	expectRefusal({32, 32, DRM_FORMAT_NV12, I915_FORMAT_MOD_Y_TILED, {{fd_, 0, 128}, {otherFd, 0, 128}}},
		      EINVAL, "planes 0 and 1 are different buffers; modifier INTEL_Y_TILED keeps every plane in one");
}

TEST_F(Import, TooFewAndTooManyPlanes)
{
	expectRefusal({64, 64, DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR, {{fd_, 0, 64}}}, EINVAL,
		      "NV12 has 2 planes, 1 given");
	expectRefusal({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd_, 0, 256}, {fd_, 0, 256}}},
		      EINVAL, "XRGB8888 has 1 plane, 2 given");
}
