// SPDX-License-Identifier: MIT
// The one test that pins the sentences refusals are rendered to (src/refusal.cpp, and the
// fixes negotiation and the memory budget write). Every other test asserts a refusal's
// fields — reason, value, limit, setBy — so a sentence is reworded here, once.
#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include <drm_fourcc.h>

#include <hbm/constraints.hpp>
#include <hbm/layout.hpp>
#include <hbm/refusal.hpp>

#include "backends/dma_heap/dma_heap.hpp"
#include "constraint_check.hpp"
#include "negotiation_private.hpp"
#include "base/system_memory.hpp"

using namespace hbm;

namespace {

constexpr uint64_t kMiB = 1ull << 20;

Rejection make(RejectReason reason, uint64_t value = 0, uint64_t limit = 0, std::vector<std::string> by = {"display"})
{
	Rejection r;
	r.reason = reason;
	r.value = value;
	r.limit = limit;
	for (const std::string &name : by)
		r.setBy.push_back(DeclaredIdentity{name});
	return r;
}

} // namespace

TEST(RefusalSentences, EachReasonIsToldOneWay)
{
	struct Row {
		Rejection rejection;
		const char *why;
	};
	Rejection unknownFormat = make(RejectReason::InvalidRequest, 0, 0, {});
	Rejection quotaBytes = make(RejectReason::QuotaExceeded, 300 * kMiB, 256 * kMiB, {"client quota"});
	quotaBytes.plane = 1;
	unknownFormat.format = fourcc_code('N', 'O', 'P', 'E');
	const Row rows[] = {
		{make(RejectReason::InvalidConstraint, 48, kMaxAlignment),
		 "display (declared) declares stride alignment 48: alignments must be powers of two from 1 to 16777216"},
		{make(RejectReason::InvalidRequest, 0ull << 32 | 1080, kMaxDimension, {}),
		 "0x1080: width and height must be 1 to 65536"},
		{unknownFormat, "hbm has no layout for it"},
		{make(RejectReason::InvalidRequest, 1u << 20, 0x3f, {}), "usage 0x100000 has bits hbm does not define (0x100000)"},
		{make(RejectReason::InvalidRequest, 0, 0, {}), "no format requested"},
		{make(RejectReason::FormatNotTaken), "display (declared) does not take it"},
		{make(RejectReason::ModifierNotMade, 0, 0, {}), "makes none of the modifiers asked for"},
		{make(RejectReason::NotContiguous, 1), "scattered pages, but display (declared) needs physically contiguous memory"},
		{make(RejectReason::WidthLimit, 3000, 2048), "display (declared) takes at most 2048 pixels across (asked 3000)"},
		{make(RejectReason::CachingConflict, 0, 0, {"display", "encoder"}),
		 "display (declared) and encoder (declared) need both cached and uncached memory: no buffer can be both"},
		{make(RejectReason::AllocatorsConflict, 0, 0, {"display", "encoder"}),
		 "display (declared) and encoder (declared) allow disjoint sets of allocators"},
		{make(RejectReason::SizeLimit, 128 * kMiB, 64 * kMiB, {}),
		 "134217728 bytes exceed its largest allocation, 67108864"},
		{make(RejectReason::NoDmaBufMemory, 0, 0, {}), "CPU-only memory, all of it: no allocator here makes dma-bufs"},
		{make(RejectReason::OutOfMemory, 128 * kMiB, 64 * kMiB, {}), "128 MiB asked for, more than the 64 MiB it can give"},
		{make(RejectReason::NotDeviceLocal, makedev(226, 0), makedev(226, 1), {"renderer"}),
		 "not memory of device 226:1, the only memory renderer (declared) can use (it is 226:0's)"},
		{make(RejectReason::AddressLimit, 5ull << 30, 4ull << 30, {"camera"}),
		 "its memory may lie up to 0x140000000, above the limit 0x100000000 of camera (declared)"},
		{make(RejectReason::AddressLimit, 0, 4ull << 30, {"camera"}),
		 "cannot tell where its memory lies, so cannot promise the limit 0x100000000 of camera (declared)"},
		{make(RejectReason::StrideAlignment, 640, 256), "plane 0 stride 640 is not a multiple of 256, which display (declared) needs"},
		{make(RejectReason::FixedSize, 320ull << 32 | 240, 640ull << 32 | 480, {"decoder"}),
		 "320x240, but decoder (declared) lays this format out itself, at 640x480 only"},
		{make(RejectReason::LayoutsConflict, 0, 0, {"decoder", "decoder"}),
		 "decoder (declared) and decoder (declared) each lay this format out their own way: no buffer has both layouts"},
		// The kernel refused what the area says it has (pinned pages, a fault): not "more than".
		{make(RejectReason::OutOfMemory, 8 * 1024, 64 * kMiB, {}), "8192 bytes asked for and refused, although 64 MiB seemed free"},
		// A compositor's quota for one client: plane 0 counts buffers, 1 bytes.
		{make(RejectReason::QuotaExceeded, 65, 64, {"client quota"}),
		 "65 buffers held with this request, above the 64 client quota (declared) allows"},
		{quotaBytes, "300 MiB held with this request, above the 256 MiB client quota (declared) allows"},
	};
	for (const Row &row : rows)
		EXPECT_EQ(row.rejection.why(), row.why) << rejectReasonName(row.rejection.reason);
}

TEST(RefusalSentences, ARefusalIsItsSubjectItsGroupedRejectionsAndItsFix)
{
	Rejection a = make(RejectReason::NotContiguous, 1);
	a.allocator = "dma-heap:system";
	a.format = DRM_FORMAT_XRGB8888;
	Rejection b = a;
	b.allocator = "udmabuf";
	const Refusal refusal{"no plan for 1920x1080", {a, b}, "add a CMA heap"};
	EXPECT_EQ(refusal.toString(),
		  "no plan for 1920x1080: dma-heap:system for XRGB8888 (XR24), udmabuf for XRGB8888 (XR24): scattered pages, "
		  "but display (declared) needs physically contiguous memory; to fix: add a CMA heap");
}

// The memory budget's fixes name where the limit comes from.
TEST(RefusalSentences, MemoryRefusalsSayWhereTheLimitComesFrom)
{
	AllocatorInfo cma;
	cma.name = "dma-heap:reserved";
	cma.memoryCommit = MemoryCommit::Reserved;
	cma.maxSize = 64 * kMiB;
	cma.maxSizeReason = "all of its CMA area";
	EXPECT_EQ(memoryShortfall(128 * kMiB, cma, {996 * kMiB, 900 * kMiB})->toString(),
		  "out of memory: dma-heap:reserved: 128 MiB asked for, more than the 64 MiB it can give; "
		  "to fix: ask for at most 64 MiB; the limit is all of its CMA area");
	AllocatorInfo system;
	system.name = "dma-heap:system";
	system.memoryCommit = MemoryCommit::AtAllocation;
	EXPECT_EQ(memoryShortfall(1024 * kMiB, system, {996 * kMiB, 900 * kMiB})->fix,
		  "ask for at most 996 MiB, this machine's RAM (MemTotal in /proc/meminfo)");
	EXPECT_EQ(memoryShortfall(950 * kMiB, system, {996 * kMiB, 900 * kMiB})->fix,
		  "free memory, or ask for at most 900 MiB, what is available now (MemAvailable in /proc/meminfo): "
		  "dma-heap:system takes its pages at allocation, and asking the kernel would leave this process to the "
		  "OOM killer");
	EXPECT_EQ(dma_heap::cmaShortfall("reserved", 40 * kMiB, {64 * kMiB, 24 * kMiB, 24 * kMiB, 40 * kMiB, 1}).toString(),
		  "DMA_HEAP_IOCTL_ALLOC: could not allocate 40 MiB of contiguous memory: CMA area reserved has 24 MiB free of 64 MiB, the largest "
		  "free block 24 MiB; this process holds 40 MiB of it in 1 buffer: dma-heap:reserved: 40 MiB asked for, more "
		  "than the 24 MiB it can give; to fix: release some of this process's buffers from reserved, or ask for at "
		  "most 24 MiB");
}

// The advice for a buffer larger than the only contiguous allocator: a smaller buffer or a
// larger area, never "allow it".
TEST(RefusalSentences, TooLargeForTheAreaAdvisesSmallerOrLarger)
{
	AllocatorInfo cma;
	cma.name = "dma-heap:reserved";
	cma.contiguous = true;
	cma.deviceImportable = true;
	cma.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	cma.maxSize = 64 * kMiB;
	cma.maxSizeReason = "all of its CMA area, CmaTotal in /proc/meminfo: raise cma= on the kernel command line";
	Participant panel;
	panel.identity = DeclaredIdentity{"panel"};
	panel.constraints.formats = cma.formats;
	panel.constraints.placement.contiguous = true;
	auto plan = negotiate({8192, 4096, {DRM_FORMAT_XRGB8888}}, {panel}, {cma});
	ASSERT_FALSE(plan);
	ASSERT_TRUE(plan.error().refusal);
	EXPECT_EQ(plan.error().refusal->fix,
		  "a smaller buffer (at most 64 MiB from dma-heap:reserved), or a larger dma-heap:reserved (its limit is all "
		  "of its CMA area, CmaTotal in /proc/meminfo: raise cma= on the kernel command line)");
}
