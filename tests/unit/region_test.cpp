// SPDX-License-Identifier: MIT
// Regions carved from a fake heap at the seam ask it for bytes, exactly their size,
// whatever that size is; a size no memory could hold is refused at the door; a region never
// believes it holds more than its dma-buf, so no buffer lies past the end of it.
#include <cerrno>
#include <cstdlib>
#include <algorithm>

#include <gtest/gtest.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/context.hpp>

#include "backends/allocator.hpp"
#include "backends/region/region_allocator.hpp"
#include "context_private.hpp"

#include "fakes/fake_heap.hpp"
#include "fakes/process_resources.hpp"

using namespace hbm;
using hbm::test::FakeHeap;

namespace {

const int kVerify = ::setenv("HBM_VERIFY_ALLOCATIONS", "1", 1);

uint64_t realSize(const SharedFd &fd)
{
	return uint64_t(::lseek(fd.get(), 0, SEEK_END));
}

AllocationOptions fromRegion(const std::string &name)
{
	AllocationOptions o;
	o.allocator = "region:" + name;
	o.allowCpuOnly = true; // the fake heap's memory is a memfd
	return o;
}

std::shared_ptr<Context> contextOver(std::unique_ptr<region::RegionAllocator> region)
{
	std::vector<std::unique_ptr<Allocator>> list;
	list.push_back(std::move(region));
	return ContextFactory::create(std::move(list));
}

constexpr uint64_t kMiB = 1ull << 20;

} // namespace

TEST(Region, LargerThan256MiBIsCarvedAsBytes)
{
	FakeHeap heap;
	auto made = region::RegionAllocator::carve("big", heap, 512 * kMiB, "best-fit");
	ASSERT_TRUE(made) << made.error().toString();
	ASSERT_EQ(heap.asked.size(), 1u);
	EXPECT_EQ(heap.asked[0], 512 * kMiB) << "the heap is asked for exactly the region's size";
	EXPECT_EQ((*made)->info().maxSize, 512 * kMiB);

	auto ctx = contextOver(std::move(*made));
	// Five 4096x4096 XR24 buffers (64 MiB each): the last ends past 256 MiB.
	std::vector<std::shared_ptr<Buffer>> buffers;
	for (int i = 0; i < 5; ++i) {
		auto b = ctx->allocate({4096, 4096, DRM_FORMAT_XRGB8888}, fromRegion("big"));
		ASSERT_TRUE(b) << b.error().toString();
		buffers.push_back(*b);
	}
	// Best-fit fills the region from both ends: the highest buffer ends past 256 MiB.
	const auto highest = *std::max_element(buffers.begin(), buffers.end(), [](const auto &a, const auto &b) {
		return a->layout().planes[0].offset < b->layout().planes[0].offset;
	});
	const PlaneLayout &last = highest->layout().planes[0];
	EXPECT_GT(last.offset + last.size, 256 * kMiB);
	EXPECT_LE(last.offset + last.size, realSize(highest->planeFd(0)));
}

TEST(Region, SizeAbove2To44IsRefusedNeverTruncated)
{
	const uint64_t size = (1ull << 44) + 16 * kMiB;
	FakeHeap heap;
	size_t fdsBefore = test::openFdCount();
	auto made = region::RegionAllocator::carve("huge", heap, size, "best-fit");
	EXPECT_FALSE(made) << "no machine here has 16 TiB to carve";
	if (!made) {
		EXPECT_EQ(made.error().code, ENOMEM) << made.error().toString();
		ASSERT_TRUE(made.error().refusal) << made.error().message;
		const Rejection &r = made.error().refusal->rejections.at(0);
		EXPECT_EQ(r.reason, RejectReason::OutOfMemory);
		EXPECT_EQ(r.allocator, "dma-heap:fake");
		EXPECT_EQ(r.value, size);
		EXPECT_GT(r.limit, 0u) << "names the limit (the RAM)";
		EXPECT_TRUE(heap.asked.empty()) << "refused before the heap is asked";
		EXPECT_EQ(test::openFdCount(), fdsBefore);
		return;
	}
	// Carved: then at its real size, and every buffer inside the dma-buf.
	auto ctx = contextOver(std::move(*made));
	for (int i = 0; i < 8; ++i) { // 8 x 3.5 MiB: past a truncated 16 MiB
		auto b = ctx->allocate({1280, 720, DRM_FORMAT_XRGB8888}, fromRegion("huge"));
		ASSERT_TRUE(b || b.error().code != EPROTO) << b.error().toString();
		if (!b)
			break;
		const PlaneLayout &p = (*b)->layout().planes[0];
		EXPECT_LE(p.offset + p.size, realSize((*b)->planeFd(0))) << "buffer " << i << " lies past the dma-buf";
	}
}

TEST(Region, BelievedSizeIsCheckedAgainstTheDmaBuf)
{
	UniqueFd fd(::memfd_create("short", MFD_CLOEXEC));
	ASSERT_EQ(::ftruncate(fd.get(), off_t(16 * kMiB)), 0);
	AllocatorInfo heap;
	heap.name = "dma-heap:fake";
	auto made = region::RegionAllocator::create("short", SharedFd(std::move(fd)), 32 * kMiB, heap, "best-fit");
	ASSERT_FALSE(made) << "a region of 32 MiB over a 16 MiB dma-buf";
	EXPECT_EQ(made.error().code, EINVAL);
	EXPECT_NE(made.error().message.find("region short"), std::string::npos) << made.error().message;
	EXPECT_NE(made.error().message.find("33554432"), std::string::npos) << made.error().message;
	EXPECT_NE(made.error().message.find("16777216"), std::string::npos) << made.error().message;
}

TEST(Region, SizesAreCheckedAtTheDoor)
{
	FakeHeap heap;
	auto zero = region::RegionAllocator::carve("zero", heap, 0, "best-fit");
	ASSERT_FALSE(zero);
	EXPECT_EQ(zero.error().code, EINVAL);
	EXPECT_NE(zero.error().message.find("region zero"), std::string::npos) << zero.error().message;
	auto odd = region::RegionAllocator::carve("odd", heap, 16 * kMiB + 100, "best-fit");
	ASSERT_FALSE(odd);
	EXPECT_EQ(odd.error().code, EINVAL);
	EXPECT_NE(odd.error().message.find("16777316"), std::string::npos) << odd.error().message;
	EXPECT_TRUE(heap.asked.empty());
}
