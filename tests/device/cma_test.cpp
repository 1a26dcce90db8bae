// SPDX-License-Identifier: MIT
#include <cerrno>
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

class Cma : public ::testing::Test
{
protected:
	void SetUp() override
	{
		name_ = allocatorFor("cma");
		HBM_REQUIRE_DEVICE(!name_.empty(), "no CMA dma-heap");
		area_ = "/sys/kernel/mm/cma/" + name_.substr(name_.find(':') + 1) + "/";
	}
	std::string name_;
	std::string area_;
};

TEST_F(Cma, HoldsPhysicalCmaMemoryAndReturnsIt)
{
	// CmaFree drifts (the page allocator lends free CMA pageblocks to movable pages), so
	// count pages with the CMA area's own counters (CONFIG_CMA_SYSFS).
	long allocatedBefore = sysfsCounter(area_ + "alloc_pages_success");
	long releasedBefore = sysfsCounter(area_ + "release_pages_success");
	HBM_REQUIRE_DEVICE(allocatedBefore >= 0 && releasedBefore >= 0, "no CMA counters in " + area_);
	long pages = 0;
	{
		auto buffer = allocateFrom(name_, {1920, 1080, DRM_FORMAT_XRGB8888});
		ASSERT_TRUE(buffer);
		pages = long(buffer->layout().size / 4096);
		EXPECT_EQ(sysfsCounter(area_ + "alloc_pages_success") - allocatedBefore, pages)
			<< "the CMA area did not hand out the buffer's pages";
	}
	EXPECT_EQ(sysfsCounter(area_ + "release_pages_success") - releasedBefore, pages)
		<< "the buffer's CMA pages were not given back";
}

TEST_F(Cma, LargerThanTheAreaIsRefusedBeforeTheKernelIsAsked)
{
	size_t fdsBefore = openFdCount();
	AllocationOptions options;
	options.allocator = name_;
	auto buffer = context()->allocate({8192, 4096, DRM_FORMAT_XRGB8888}, options); // 128 MiB
	ASSERT_FALSE(buffer);
	EXPECT_EQ(buffer.error().code, ENOMEM) << buffer.error().toString();
	ASSERT_TRUE(buffer.error().refusal) << buffer.error().message;
	const Rejection &r = buffer.error().refusal->rejections.at(0);
	EXPECT_EQ(r.reason, RejectReason::OutOfMemory);
	EXPECT_EQ(r.allocator, name_);
	EXPECT_EQ(r.value, 128ull << 20);
	// The limit is the whole area (its fix, "raise cma=", is the allocator's maxSizeReason).
	EXPECT_EQ(r.limit, uint64_t(meminfoKb("CmaTotal")) * 1024) << buffer.error().message;
	EXPECT_EQ(openFdCount(), fdsBefore);
}

TEST_F(Cma, ExhaustionExplainsItselfAndLeaksNothing)
{
	size_t fdsBefore = openFdCount();
	// Two buffers of 5/8 of the area each: the second cannot fit.
	long totalKb = meminfoKb("CmaTotal");
	ASSERT_GT(totalKb, 0);
	uint32_t rows = uint32_t(totalKb * 1024 * 5 / 8 / (4096 * 4));
	auto first = allocateFrom(name_, {4096, rows, DRM_FORMAT_XRGB8888});
	ASSERT_TRUE(first);
	AllocationOptions options;
	options.allocator = name_;
	auto second = context()->allocate({4096, rows, DRM_FORMAT_XRGB8888}, options);
	ASSERT_FALSE(second);
	EXPECT_EQ(second.error().code, ENOMEM) << second.error().toString();
	// The kernel refused (the buffer is smaller than the area): what was asked, and what
	// would fit — less than that, and none of the first buffer's memory. The sentence, with
	// what this process holds and the fix to release it, is pinned in refusal_test.
	ASSERT_TRUE(second.error().refusal) << second.error().message;
	const std::string &msg = second.error().message;
	ASSERT_EQ(second.error().refusal->rejections.size(), 1u) << msg;
	const Rejection &r = second.error().refusal->rejections[0];
	EXPECT_EQ(r.reason, RejectReason::OutOfMemory) << msg;
	EXPECT_EQ(r.allocator, name_) << msg;
	const uint64_t size = first->layout().size;
	EXPECT_EQ(r.value, size) << msg;
	EXPECT_LT(r.limit, r.value) << msg;
	EXPECT_LE(r.limit, uint64_t(totalKb) * 1024 - size) << "the first buffer's memory counted as free: " << msg;
	first.reset();
	EXPECT_EQ(openFdCount(), fdsBefore);
	// Once this process's buffer is gone, the same request fits.
	auto third = context()->allocate({4096, rows, DRM_FORMAT_XRGB8888}, options);
	EXPECT_TRUE(third) << third.error().toString();
}
