// SPDX-License-Identifier: MIT
#include <cerrno>
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>
#include <hbm/heap.hpp>
#include <hbm/pattern.hpp>

#include "device_test.hpp"
#include "dma_buf.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

constexpr BufferDesc k1080p{1920, 1080, DRM_FORMAT_XRGB8888};

/// "system" or "cma" -> the heap's real name here.
std::string resolveHeap(const std::string &kind)
{
	return heapName(kind == "cma");
}

} // namespace

TEST(DmaHeap, ListsSystemAndCmaHeaps)
{
	auto heaps = listHeaps();
	ASSERT_TRUE(heaps) << heaps.error().toString();
	HBM_REQUIRE_DEVICE(!heaps->empty(), "no dma-heaps under /dev/dma_heap");
	bool system = false, cma = false;
	for (const HeapInfo &h : *heaps) {
		if (h.name == "system") {
			system = true;
			EXPECT_FALSE(h.contiguous);
		}
		cma |= h.contiguous;
	}
	EXPECT_TRUE(system) << "no system heap";
	HBM_REQUIRE_DEVICE(cma, "no CMA heap (kernel without CONFIG_DMABUF_HEAPS_CMA or no cma=)");
}

class DmaHeapAlloc : public ::testing::TestWithParam<std::string>
{
protected:
	void SetUp() override
	{
		heap_ = resolveHeap(GetParam());
		HBM_REQUIRE_DEVICE(!heap_.empty(), "no " + GetParam() + " dma-heap");
	}
	std::string heap_;
};

TEST_P(DmaHeapAlloc, WritesThroughSyncAndReadsBack)
{
	size_t fdsBefore = openFdCount();
	{
		auto buffer = Buffer::allocateFromHeap(k1080p, heap_);
		ASSERT_TRUE(buffer) << buffer.error().toString();
		const Layout &layout = (*buffer)->layout();
		EXPECT_EQ(layout.planes[0].stride, 7680u);
		EXPECT_GE(fileSize((*buffer)->fd().get()), int64_t(layout.size)) << "dma-buf smaller than its layout";
		EXPECT_EQ((*buffer)->origin(), "dma-heap:" + heap_);

		DmaBufSyncCounters before = dmaBufSyncCounters();
		{
			auto access = (*buffer)->beginCpuAccess(CpuAccessMode::Write);
			ASSERT_TRUE(access) << access.error().toString();
			ASSERT_TRUE(writeTestPattern(*access, layout));
		}
		DmaBufSyncCounters after = dmaBufSyncCounters();
		EXPECT_EQ(after.starts - before.starts, 1u);
		EXPECT_EQ(after.ends - before.ends, 1u);

		auto read = (*buffer)->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(read);
		auto verified = verifyTestPattern(*read, layout);
		EXPECT_TRUE(verified) << verified.error().message;
	}
	EXPECT_EQ(openFdCount(), fdsBefore) << "a descriptor leaked; open now:" << openFdList();
}

TEST_P(DmaHeapAlloc, NestedAccessAddsNoSync)
{
	auto buffer = Buffer::allocateFromHeap({256, 256, DRM_FORMAT_XRGB8888}, heap_);
	ASSERT_TRUE(buffer) << buffer.error().toString();
	DmaBufSyncCounters before = dmaBufSyncCounters();
	{
		auto outer = (*buffer)->beginCpuAccess(CpuAccessMode::ReadWrite);
		ASSERT_TRUE(outer);
		for (int i = 0; i < 10; ++i) {
			auto inner = (*buffer)->beginCpuAccess(i % 2 ? CpuAccessMode::Read : CpuAccessMode::Write);
			ASSERT_TRUE(inner);
			inner->plane(0)[i] = uint8_t(i);
		}
	}
	DmaBufSyncCounters after = dmaBufSyncCounters();
	EXPECT_EQ(after.starts - before.starts, 1u);
	EXPECT_EQ(after.ends - before.ends, 1u);

	// Widening read to read+write inside the CPU domain announces the write once.
	before = after;
	{
		auto outer = (*buffer)->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(outer);
		auto inner = (*buffer)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(inner);
		EXPECT_EQ(outer->plane(0)[3], 3);
	}
	after = dmaBufSyncCounters();
	EXPECT_EQ(after.starts - before.starts, 2u);
	EXPECT_EQ(after.ends - before.ends, 1u);
}

TEST_P(DmaHeapAlloc, ManyCyclesLeaveFdCountFlat)
{
	size_t fdsBefore = openFdCount();
	for (int i = 0; i < 200; ++i) {
		auto buffer = Buffer::allocateFromHeap({640, 480, DRM_FORMAT_XRGB8888}, heap_);
		ASSERT_TRUE(buffer) << "cycle " << i << ": " << buffer.error().toString();
		auto access = (*buffer)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(access);
	}
	EXPECT_EQ(openFdCount(), fdsBefore);
}

INSTANTIATE_TEST_SUITE_P(Heaps, DmaHeapAlloc, ::testing::Values("system", "cma"),
			 heapParamName);

TEST(CmaHeap, HoldsPhysicalCmaMemoryAndReturnsIt)
{
	std::string cma = heapName(true);
	HBM_REQUIRE_DEVICE(!cma.empty(), "no CMA heap");
	// CmaFree drifts (the page allocator lends free CMA pageblocks to movable pages), so
	// count pages with the CMA area's own counters (CONFIG_CMA_SYSFS).
	const std::string area = "/sys/kernel/mm/cma/" + cma + "/";
	long allocatedBefore = sysfsCounter(area + "alloc_pages_success");
	long releasedBefore = sysfsCounter(area + "release_pages_success");
	HBM_REQUIRE_DEVICE(allocatedBefore >= 0 && releasedBefore >= 0, "no CMA counters in " + area);
	long pages = 0;
	{
		auto buffer = Buffer::allocateFromHeap(k1080p, cma);
		ASSERT_TRUE(buffer) << buffer.error().toString();
		pages = long((*buffer)->layout().size / 4096);
		EXPECT_EQ(sysfsCounter(area + "alloc_pages_success") - allocatedBefore, pages)
			<< "the CMA area did not hand out the buffer's pages";
	}
	EXPECT_EQ(sysfsCounter(area + "release_pages_success") - releasedBefore, pages)
		<< "the buffer's CMA pages were not given back";
}

TEST(CmaHeap, ExhaustionExplainsItselfAndLeaksNothing)
{
	std::string cma = heapName(true);
	HBM_REQUIRE_DEVICE(!cma.empty(), "no CMA heap");
	size_t fdsBefore = openFdCount();
	long cmaTotal = meminfoKb("CmaTotal");
	ASSERT_GT(cmaTotal, 0);
	// Taller than the whole CMA area: 8192 x (2 * CmaTotal / 32 KiB) XRGB8888.
	uint32_t height = uint32_t(std::min<long>(65536, cmaTotal * 1024 * 2 / (8192 * 4)));
	auto buffer = Buffer::allocateFromHeap({8192, height, DRM_FORMAT_XRGB8888}, cma);
	ASSERT_FALSE(buffer);
	EXPECT_EQ(buffer.error().code, ENOMEM) << buffer.error().toString();
	EXPECT_NE(buffer.error().message.find("dma-heap " + cma), std::string::npos) << buffer.error().message;
	EXPECT_NE(buffer.error().message.find("cma="), std::string::npos) << buffer.error().message;
	EXPECT_EQ(openFdCount(), fdsBefore);
}
