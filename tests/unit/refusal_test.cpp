// SPDX-License-Identifier: MIT
// The one test that pins the sentences refusals are rendered to (src/refusal.cpp, and the
// fixes negotiation and the memory budget write). Every other test asserts a refusal's
// fields — reason, value, limit, setBy — so a sentence is reworded here, once.
#include <cerrno>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/videodev2.h>

#include <hbm/buffer.hpp>
#include <hbm/constraints.hpp>
#include <hbm/context.hpp>
#include <hbm/layout.hpp>
#include <hbm/pool.hpp>
#include <hbm/refusal.hpp>

#include "backends/dma_heap/dma_heap.hpp"
#include "backends/memfd/memfd.hpp"
#include "backends/region/region_allocator.hpp"
#include "base/error.hpp"
#include "constraint_check.hpp"
#include "context_private.hpp"
#include "negotiation_private.hpp"
#include "pool_private.hpp"
#include "base/system_memory.hpp"
#include "v4l2/v4l2_private.hpp"

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
	Rejection offsetAlignment = make(RejectReason::InvalidConstraint, 1u << 25, kMaxAlignment);
	offsetAlignment.plane = 1; // plane 0: the stride's alignment, 1: the offset's
	unknownFormat.format = fourcc_code('N', 'O', 'P', 'E');
	const Row rows[] = {
		{make(RejectReason::InvalidConstraint, 48, kMaxAlignment),
		 "display (declared) declares stride alignment 48: alignments must be powers of two from 1 to 16777216"},
		{offsetAlignment,
		 "display (declared) declares offset alignment 33554432: alignments must be powers of two from 1 to 16777216"},
		{make(RejectReason::InvalidRequest, 0ull << 32 | 1080, kMaxDimension, {}),
		 "0x1080: width and height must be 1 to 65536"},
		{unknownFormat, "hbm has no layout for it"},
		{make(RejectReason::InvalidRequest, 1u << 20, 0x3f, {}), "usage 0x100000 has bits hbm does not define (0x100000)"},
		{make(RejectReason::InvalidRequest, 0, 0, {}), "no format requested"},
		{make(RejectReason::FormatNotTaken), "display (declared) does not take it"},
		// Buffer::check() names the participant in the refusal's subject, not in setBy.
		{make(RejectReason::FormatNotTaken, 0, 0, {}), "a participant does not take it"},
		{make(RejectReason::NoCommonModifier, 0, 0, {"plane", "renderer"}),
		 "no modifier plane (declared) and renderer (declared) all take"},
		{make(RejectReason::NoCommonModifier, 0, 0, {}), "no modifier every participant takes"},
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
		{make(RejectReason::FixedStride, 2752, 2720, {"decoder"}),
		 "plane 0 stride 2752, but decoder (declared) writes rows 2720 bytes apart"},
		{make(RejectReason::FixedTooSmall, 409600, 460800, {"decoder"}),
		 "409600 bytes, fewer than the 460800 decoder (declared) fills"},
		{make(RejectReason::NotAtStart, 0), "it places buffers at offsets inside one dma-buf, but display (declared) reads buffers only from offset 0"},
		{make(RejectReason::NotAtStart, 4096), "plane 0 starts at offset 4096 of its dma-buf, but display (declared) reads buffers only from offset 0"},
		{make(RejectReason::StorageExists, 0, 0, {}),
		 "the buffer has storage already, laid out for its participants: its constraints cannot be relaxed"},
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
	AllocatorInfo udmabuf;
	udmabuf.name = "udmabuf";
	udmabuf.memoryCommit = MemoryCommit::AtAllocation;
	udmabuf.maxSize = 64 * kMiB;
	udmabuf.maxSizeReason = "its size_limit_mb, /sys/module/udmabuf/parameters/size_limit_mb";
	EXPECT_EQ(memoryShortfall(1024 * kMiB, udmabuf, {996 * kMiB, 900 * kMiB})->fix,
		  "ask for at most 64 MiB; the limit is its size_limit_mb, /sys/module/udmabuf/parameters/size_limit_mb");
}

// What the kernel's CMA area says when it refuses: its state, what this process holds of
// it, and the fix that state calls for.
TEST(RefusalSentences, ACmaAreaThatRefusesSaysWhatItHolds)
{
	using dma_heap::cmaShortfall;
	EXPECT_EQ(cmaShortfall("reserved", 40 * kMiB, {64 * kMiB, 24 * kMiB, 24 * kMiB, 40 * kMiB, 1}).toString(),
		  "DMA_HEAP_IOCTL_ALLOC: could not allocate 40 MiB of contiguous memory: CMA area reserved has 24 MiB free of 64 MiB, the largest "
		  "free block 24 MiB; this process holds 40 MiB of it in 1 buffer: dma-heap:reserved: 40 MiB asked for, more "
		  "than the 24 MiB it can give; to fix: release some of this process's buffers from reserved, or ask for at "
		  "most 24 MiB");
	EXPECT_EQ(cmaShortfall("reserved", 128 * kMiB, {64 * kMiB, 60 * kMiB, 60 * kMiB, 0, 0}).fix,
		  "nothing this large fits in the area: raise cma= on the kernel command line");
	const Refusal fragmented = cmaShortfall("reserved", 16 * kMiB, {64 * kMiB, 32 * kMiB, 8 * kMiB, 0, 0});
	EXPECT_EQ(fragmented.subject,
		  "DMA_HEAP_IOCTL_ALLOC: could not allocate 16 MiB of contiguous memory: CMA area reserved has 32 MiB free of "
		  "64 MiB, the largest free block 8 MiB; this process holds 0 bytes of it in 0 buffers, the kernel and other "
		  "processes 32 MiB");
	EXPECT_EQ(fragmented.fix, "the free memory is fragmented: ask for at most 8 MiB");
	const Refusal unknownBlock = cmaShortfall("reserved", 40 * kMiB, {64 * kMiB, 24 * kMiB, 0, 40 * kMiB, 2});
	EXPECT_EQ(unknownBlock.subject,
		  "DMA_HEAP_IOCTL_ALLOC: could not allocate 40 MiB of contiguous memory: CMA area reserved has 24 MiB free of "
		  "64 MiB; this process holds 40 MiB of it in 2 buffers");
	EXPECT_EQ(unknownBlock.fix, "release some of this process's buffers from reserved, or ask for at most 24 MiB "
				    "(the largest free block may be smaller: CONFIG_CMA_DEBUGFS tells)");
}

// A region that cannot fit a buffer says what is free, the largest free range and the
// algorithm that looked.
TEST(RefusalSentences, ARegionThatCannotFitABufferSaysWhatIsFree)
{
	int memfd = ::memfd_create("region", MFD_CLOEXEC);
	ASSERT_GE(memfd, 0);
	ASSERT_EQ(::ftruncate(memfd, off_t(4 * kMiB)), 0);
	AllocatorInfo heap;
	heap.name = "dma-heap:fake";
	auto region = region::RegionAllocator::create("video", SharedFd(UniqueFd(memfd)), 4 * kMiB, heap, "best-fit");
	ASSERT_TRUE(region) << region.error().toString();
	auto held = (*region)->allocateBytes({3 * kMiB, 4096});
	ASSERT_TRUE(held) << held.error().toString();
	auto refused = (*region)->allocateBytes({2 * kMiB, 4096});
	ASSERT_FALSE(refused);
	ASSERT_TRUE(refused.error().refusal);
	EXPECT_EQ(refused.error().message,
		  "2097152 bytes do not fit: 1048576 of 4194304 bytes free, the largest free range 1048576 (best-fit): "
		  "region:video: 2 MiB asked for, more than the 1 MiB it can give; to fix: release buffers of region:video, "
		  "ask for at most 1 MiB, or configure a larger region");
}

// Context put in front of a refusal goes in front of its subject: the sentence is still
// the one rendered from the refusal.
TEST(RefusalSentences, ContextGoesInFrontOfTheSubject)
{
	Rejection r = make(RejectReason::WidthLimit, 1920, 64, {"cursor"});
	Error e = withContext(refusalError(ENOTSUP, Refusal{"no plan for 1920x1080", {r}, "ask for a smaller buffer"}),
			      "attaching cursor (declared)");
	ASSERT_TRUE(e.refusal);
	EXPECT_EQ(e.refusal->subject, "attaching cursor (declared): no plan for 1920x1080");
	EXPECT_EQ(e.message, e.refusal->toString());
	EXPECT_EQ(e.message, "attaching cursor (declared): no plan for 1920x1080: cursor (declared) takes at most 64 "
			     "pixels across (asked 1920); to fix: ask for a smaller buffer");
}

// A pool whose every buffer is in use says how each is held.
TEST(RefusalSentences, AFullPoolSaysHowItsBuffersAreHeld)
{
	BufferPool::Occupancy held;
	held.leased = 1;
	held.referenced = 2;
	held.fenced = 1;
	const Error e = poolExhausted(4, held);
	EXPECT_EQ(e.code, EBUSY);
	EXPECT_EQ(e.message, "all 4 buffers of the pool are in use: 1 leased, 2 still referenced after their lease (CPU "
			     "access, framebuffer, copies), 1 held by devices (fences pending)");
}

// A V4L2 queue that lays the buffer out its own way at VIDIOC_S_FMT names each difference.
TEST(RefusalSentences, AQueueThatChoseAnotherLayoutSaysWhatDiffers)
{
	Layout layout;
	layout.width = 680;
	layout.height = 480;
	layout.format = DRM_FORMAT_XRGB8888;
	layout.modifier = DRM_FORMAT_MOD_LINEAR;
	layout.planes.push_back(PlaneLayout{0, 2752, 2752 * 480});
	layout.size = 2752 * 480;
	const V4l2QueueIdentity queue{makedev(81, 0), V4l2Queue::Capture, "vicodec", "vicodec-dec"};
	V4l2Device::Format chosen{V4L2_PIX_FMT_XBGR32, DRM_FORMAT_XRGB8888, 680, 480, 2752, 2752 * 480, 1};
	EXPECT_FALSE(layoutNotTaken("/dev/video1 capture queue (vicodec)", queue, layout, V4L2_PIX_FMT_XBGR32, chosen));
	chosen.bytesPerLine = 2752 + 64;
	chosen.sizeImage = 2816 * 480;
	auto refused = layoutNotTaken("/dev/video1 capture queue (vicodec)", queue, layout, V4L2_PIX_FMT_XBGR32, chosen);
	ASSERT_TRUE(refused);
	EXPECT_EQ(refused->code, EINVAL);
	EXPECT_EQ(refused->message,
		  "/dev/video1 capture queue (vicodec) does not take the buffer's layout: XRGB8888 (XR24): plane 0 stride "
		  "2752, but vicodec capture queue (81:0) writes rows 2816 bytes apart; XRGB8888 (XR24): 1320960 bytes, "
		  "fewer than the 1351680 vicodec capture queue (81:0) fills; to fix: negotiate the buffer with the queue's "
		  "participant attached");
	chosen = {V4L2_PIX_FMT_NV12M, DRM_FORMAT_NV12, 680, 480, 680, 680 * 480, 2};
	auto planar = layoutNotTaken("/dev/video1 capture queue (vicodec)", queue, layout, V4L2_PIX_FMT_XBGR32, chosen);
	ASSERT_TRUE(planar);
	EXPECT_EQ(planar->message,
		  "/dev/video1 capture queue (vicodec) does not take the buffer's layout (it wants 2 dma-bufs a buffer, not "
		  "one): XRGB8888 (XR24): vicodec capture queue (81:0) does not take it; to fix: negotiate the buffer with "
		  "the queue's participant attached");
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

// Negotiation's fix is chosen from what this machine has.
TEST(RefusalSentences, TheFixOfNoPlanIsTrueForThisMachine)
{
	auto heap = [](const std::string &name, bool contiguous) {
		AllocatorInfo a;
		a.name = name;
		a.kind = AllocatorKind::DmaHeap;
		a.contiguous = contiguous;
		a.deviceImportable = true;
		a.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
		return a;
	};
	const AllocatorInfo system = heap("dma-heap:system", false), cma = heap("dma-heap:reserved", true);
	Participant panel;
	panel.identity = DeclaredIdentity{"panel"};
	panel.constraints.formats = system.formats;
	panel.constraints.placement.contiguous = true;
	auto fixOf = [](const Result<Plan> &plan) {
		return plan || !plan.error().refusal ? std::string("(no refusal)") : plan.error().refusal->fix;
	};
	const Request request{640, 480, {DRM_FORMAT_XRGB8888}};

	EXPECT_EQ(fixOf(negotiate(request, {panel}, {system})),
		  "add a CMA heap (boot with cma=64M and CONFIG_DMABUF_HEAPS_CMA) or give the device an IOMMU");
	// A CMA heap that exists but cannot promise the address limit: not "boot with cma=".
	Participant low = panel;
	low.constraints.placement.addressLimit = 1ull << 32;
	EXPECT_EQ(fixOf(negotiate(request, {low}, {system, cma}, 0)),
		  "the contiguous allocator dma-heap:reserved cannot serve this request either (see above); allow it for a "
		  "format the participants take");
	Participant camera;
	camera.identity = DeclaredIdentity{"camera"};
	camera.constraints.formats = system.formats;
	camera.constraints.placement.addressLimit = 1ull << 32;
	EXPECT_EQ(fixOf(negotiate(request, {camera}, {system, cma}, 0)),
		  "provide a heap whose memory lies below 0x100000000 (a CMA area placed low, or a carve-out declared with "
		  "memory_end), or a machine whose RAM ends below it");
	Participant renderer;
	renderer.identity = DeclaredIdentity{"renderer"};
	renderer.constraints.formats = system.formats;
	renderer.constraints.placement.localTo = makedev(226, 1);
	EXPECT_EQ(fixOf(negotiate(request, {renderer}, {system})),
		  "give hbm an allocator on device 226:1 (its DRM fd in the context options)");
}

// Allocation without a plan tries each allocator and lists every attempt; CPU-only memory
// the caller did not allow is one, kept as a rejection.
TEST(RefusalSentences, AllocationWithoutAPlanListsEachAttempt)
{
	std::vector<std::unique_ptr<Allocator>> memfd;
	memfd.push_back(memfd::MemfdAllocator::create());
	auto context = ContextFactory::create(std::move(memfd));
	auto refused = context->allocate({64, 64, DRM_FORMAT_XRGB8888});
	ASSERT_FALSE(refused);
	ASSERT_TRUE(refused.error().refusal);
	EXPECT_EQ(refused.error().refusal->reason(), RejectReason::CpuOnly);
	EXPECT_EQ(refused.error().message,
		  "no allocator could make 64x64 XRGB8888 (XR24): memfd: CPU-only memory, not allowed (allowCpuOnly)");
}

// A participant checked against storage that exists names the buffer, not an allocator.
TEST(RefusalSentences, StorageAParticipantCannotUseIsNamed)
{
	std::vector<std::unique_ptr<Allocator>> memfd;
	memfd.push_back(memfd::MemfdAllocator::create());
	auto context = ContextFactory::create(std::move(memfd));
	AllocationOptions cpu;
	cpu.allowCpuOnly = true;
	auto buffer = context->allocate({64, 64, DRM_FORMAT_XRGB8888}, cpu);
	ASSERT_TRUE(buffer) << buffer.error().toString();
	Participant display;
	display.identity = DeclaredIdentity{"display"};
	display.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	auto refused = (*buffer)->check(display);
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().message,
		  "display (declared) cannot use this memfd buffer: XRGB8888 (XR24): CPU-only memory; to fix: negotiate a "
		  "new buffer with it attached before allocation");
}
