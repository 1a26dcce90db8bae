// SPDX-License-Identifier: MIT
// Negotiation as a pure function: declared allocators, participants, and what comes out —
// a plan with its trace, or a refusal that names who wanted what and how to fix it.
#include <cerrno>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include <drm_fourcc.h>

#include <hbm/context.hpp>
#include <hbm/pool.hpp>

#include "backends/memfd/memfd.hpp"
#include "context_private.hpp"
#include "negotiation_private.hpp"

#include "base/system_memory.hpp"
#include "rejections.hpp"

using namespace hbm;

namespace {

constexpr uint64_t kLinear = DRM_FORMAT_MOD_LINEAR;
constexpr uint64_t kInvalid = DRM_FORMAT_MOD_INVALID;
constexpr uint64_t kXTiled = I915_FORMAT_MOD_X_TILED;
constexpr uint64_t kGiB = 1ull << 30;

AllocatorInfo allocator(const std::string &name, bool contiguous, FormatSet formats = {})
{
	AllocatorInfo a;
	a.name = name;
	a.kind = AllocatorKind::DmaHeap;
	a.contiguous = contiguous;
	a.deviceImportable = true;
	a.formats = formats.empty() ? FormatSet({DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_NV12}, {kLinear})
				    : formats;
	return a;
}

const std::vector<AllocatorInfo> kMachine = {
	allocator("dma-heap:system", false),
	allocator("udmabuf", false),
	allocator("dma-heap:reserved", true),
};

Participant participant(const std::string &name, FormatSet formats)
{
	Participant p;
	p.identity = DeclaredIdentity{name};
	p.source = "test";
	p.constraints.formats = std::move(formats);
	return p;
}

Participant display(bool contiguous)
{
	Participant p = participant("display", FormatSet({DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888}, {kLinear}));
	p.constraints.placement.contiguous = contiguous;
	return p;
}

using test::firstOf;

std::string traceOf(const Plan &plan)
{
	std::string out;
	for (const std::string &line : plan.trace())
		out += line + "\n";
	return out;
}

} // namespace

TEST(Negotiation, NoIommuForcesTheContiguousHeapAndSaysWhy)
{
	auto plan = negotiate({1920, 1080, {DRM_FORMAT_XRGB8888}}, {display(true)}, kMachine);
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), "dma-heap:reserved");
	EXPECT_TRUE(plan->placement().contiguous);
	EXPECT_NE(traceOf(*plan).find("passed over dma-heap:system for XRGB8888 (XR24): scattered pages, but display (declared) needs physically contiguous memory"),
		  std::string::npos) << traceOf(*plan);

	auto scattered = negotiate({1920, 1080, {DRM_FORMAT_XRGB8888}}, {display(false)}, kMachine);
	ASSERT_TRUE(scattered);
	EXPECT_EQ(scattered->allocator(), "dma-heap:system") << "contiguous memory is used only when needed";
}

TEST(Negotiation, WithoutACmaHeapTheRefusalExplainsItself)
{
	std::vector<AllocatorInfo> noCma = {kMachine[0], kMachine[1]};
	auto plan = negotiate({1920, 1080, {DRM_FORMAT_XRGB8888}}, {display(true)}, noCma);
	ASSERT_FALSE(plan);
	EXPECT_EQ(plan.error().code, ENOTSUP) << "no plan is ENOTSUP, never ENOMEM";
	ASSERT_TRUE(plan.error().refusal);
	const Refusal &refusal = *plan.error().refusal; // its fix, "add a CMA heap": refusal_test
	EXPECT_EQ(refusal.reason(), RejectReason::NotContiguous);
	ASSERT_EQ(refusal.rejections.size(), 2u);
	for (const Rejection &r : refusal.rejections) {
		EXPECT_EQ(r.reason, RejectReason::NotContiguous);
		EXPECT_EQ(r.format, DRM_FORMAT_XRGB8888);
		EXPECT_EQ(r.setBy, std::vector<ParticipantIdentity>{DeclaredIdentity{"display"}});
	}
	EXPECT_EQ(refusal.rejections[0].allocator, "dma-heap:system");
	EXPECT_EQ(refusal.rejections[1].allocator, "udmabuf");
}

TEST(Negotiation, ACmaHeapThatCannotPromiseTheAddressLimitIsRefusedForIt)
{
	// The CMA heap exists but cannot promise the address limit: the scattered heaps are
	// refused for their pages, the CMA heap for the limit (so the fix is not "boot with
	// cma=": refusal_test).
	Participant panel = display(true);
	panel.constraints.placement.addressLimit = 1ull << 32;
	auto plan = negotiate({640, 480, {DRM_FORMAT_XRGB8888}}, {panel}, kMachine, 0);
	ASSERT_FALSE(plan);
	ASSERT_TRUE(plan.error().refusal);
	const std::vector<Rejection> &rejections = plan.error().refusal->rejections;
	ASSERT_EQ(rejections.size(), 3u) << plan.error().message;
	EXPECT_EQ(rejections[0].reason, RejectReason::NotContiguous);
	EXPECT_EQ(rejections[1].reason, RejectReason::NotContiguous);
	EXPECT_EQ(rejections.back().allocator, "dma-heap:reserved");
	EXPECT_EQ(rejections.back().reason, RejectReason::AddressLimit);
	EXPECT_EQ(rejections.back().value, 0u) << "a CMA area's range is not known";
	EXPECT_EQ(rejections.back().limit, 1ull << 32);
}

// Regression: 128 MiB contiguous on a 64 MiB CMA area advised "allow it for a format the
// participants take". The heap passed every other check: a smaller buffer or a larger
// area is the fix.
TEST(Negotiation, TooLargeForTheCmaAreaAdvisesASmallerBufferOrALargerArea)
{
	std::vector<AllocatorInfo> machine = kMachine;
	machine[2].maxSize = 64ull << 20;
	machine[2].maxSizeReason = "all of its CMA area, CmaTotal in /proc/meminfo: raise cma= on the kernel command line";
	auto plan = negotiate({8192, 4096, {DRM_FORMAT_XRGB8888}}, {display(true)}, machine); // 128 MiB
	ASSERT_FALSE(plan);
	EXPECT_EQ(plan.error().code, ENOTSUP);
	ASSERT_TRUE(plan.error().refusal);
	const Refusal &refusal = *plan.error().refusal;
	const Rejection &cma = refusal.rejections.back();
	EXPECT_EQ(cma.reason, RejectReason::SizeLimit);
	EXPECT_EQ(cma.allocator, "dma-heap:reserved");
	EXPECT_EQ(cma.value, 128ull << 20);
	EXPECT_EQ(cma.limit, 64ull << 20);
	// Only its size stopped it: every other rejection is the scattered heaps' pages, so the
	// fix is a smaller buffer or a larger area (refusal_test), never "allow it".
	for (size_t i = 0; i + 1 < refusal.rejections.size(); ++i)
		EXPECT_EQ(refusal.rejections[i].reason, RejectReason::NotContiguous) << refusal.rejections[i].allocator;
}

TEST(Negotiation, DeviceLocalMemoryComesFromThatDevicesAllocator)
{
	const dev_t vkms = makedev(226, 1);
	Participant renderer = participant("renderer", FormatSet({DRM_FORMAT_XRGB8888}, {kLinear}));
	renderer.constraints.placement.localTo = vkms;
	AllocatorInfo dumb = allocator("dumb:vkms", false);
	dumb.kind = AllocatorKind::DrmDumb;
	dumb.drmDeviceId = vkms;
	AllocatorInfo vgem = allocator("dumb:vgem", false);
	vgem.kind = AllocatorKind::DrmDumb;
	vgem.drmDeviceId = makedev(226, 0);

	auto plan = negotiate({640, 480, {DRM_FORMAT_XRGB8888}}, {renderer}, {kMachine[0], vgem, dumb});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), "dumb:vkms");

	auto none = negotiate({640, 480, {DRM_FORMAT_XRGB8888}}, {renderer}, {kMachine[0], vgem});
	ASSERT_FALSE(none);
	ASSERT_TRUE(none.error().refusal);
	EXPECT_EQ(none.error().refusal->reason(), RejectReason::NotDeviceLocal);
	EXPECT_EQ(none.error().refusal->rejections[1].value, uint64_t(makedev(226, 0)));
	EXPECT_EQ(none.error().refusal->rejections[1].limit, uint64_t(vkms));
	EXPECT_EQ(none.error().refusal->rejections[1].setBy, std::vector<ParticipantIdentity>{renderer.identity});
	// Its fix names the device whose allocator is missing: refusal_test.

	// Two renderers each bound to their own device: no buffer can serve both.
	Participant other = participant("other renderer", FormatSet({DRM_FORMAT_XRGB8888}, {kLinear}));
	other.constraints.placement.localTo = makedev(226, 0);
	auto both = negotiate({640, 480, {DRM_FORMAT_XRGB8888}}, {renderer, other}, {dumb, vgem});
	ASSERT_FALSE(both);
	ASSERT_TRUE(both.error().refusal);
	EXPECT_EQ(both.error().refusal->reason(), RejectReason::DevicesConflict);
}

TEST(Negotiation, AddressLimitHonouredOnlyWhenRamEndsBelowIt)
{
	Participant camera = participant("camera", FormatSet({DRM_FORMAT_NV12}, {kLinear}));
	camera.constraints.placement.addressLimit = 4 * kGiB;
	const Request req{1280, 720, {DRM_FORMAT_NV12}};

	auto low = negotiate(req, {camera}, kMachine, 1 * kGiB);
	ASSERT_TRUE(low) << low.error().message;
	EXPECT_EQ(low->allocator(), "dma-heap:system");
	EXPECT_NE(traceOf(*low).find("RAM ends at 0x40000000, below the limit 0x100000000 of camera (declared)"), std::string::npos);

	auto high = negotiate(req, {camera}, kMachine, 5 * kGiB);
	ASSERT_FALSE(high);
	ASSERT_TRUE(high.error().refusal);
	bool aboveTheLimit = false, unknownRange = false;
	for (const Rejection &r : high.error().refusal->rejections) {
		if (r.reason != RejectReason::AddressLimit)
			continue;
		EXPECT_EQ(r.limit, 4 * kGiB) << high.error().message;
		aboveTheLimit |= r.value == 5 * kGiB; // scattered pages: RAM's top
		unknownRange |= r.value == 0;         // a CMA area: its range is not known
	}
	EXPECT_TRUE(aboveTheLimit) << high.error().message;
	EXPECT_TRUE(unknownRange) << "a CMA area's range is not known: " << high.error().message;

	// Where RAM ends is not known: no heap can promise the limit (the fix: refusal_test).
	auto unknown = negotiate(req, {camera}, kMachine, 0);
	ASSERT_FALSE(unknown);
	ASSERT_TRUE(unknown.error().refusal);
	EXPECT_EQ(unknown.error().refusal->reason(), RejectReason::AddressLimit);
	ASSERT_EQ(unknown.error().refusal->rejections.size(), kMachine.size()) << unknown.error().message;
	for (const Rejection &r : unknown.error().refusal->rejections) {
		EXPECT_EQ(r.reason, RejectReason::AddressLimit) << r.allocator;
		EXPECT_EQ(r.value, 0u) << r.allocator;
		EXPECT_EQ(r.limit, 4 * kGiB) << r.allocator;
		EXPECT_EQ(r.setBy, std::vector<ParticipantIdentity>{camera.identity}) << r.allocator;
	}
}

TEST(Negotiation, FormatsIntersectInTheCallersOrder)
{
	Participant camera = participant("camera", FormatSet({DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}, {kLinear}));
	auto plan = negotiate({640, 480, {DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}}, {display(false), camera}, kMachine);
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->format(), DRM_FORMAT_XRGB8888);
	EXPECT_NE(traceOf(*plan).find("passed over NV12 (NV12): display (declared) does not take it"), std::string::npos)
		<< traceOf(*plan);
}

TEST(Negotiation, DisjointFormatsAreRefusedNamingTheParticipant)
{
	Participant camera = participant("camera", FormatSet({DRM_FORMAT_NV12}, {kLinear}));
	auto plan = negotiate({640, 480, {DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}}, {camera, display(false)}, kMachine);
	ASSERT_FALSE(plan);
	EXPECT_EQ(plan.error().code, ENOTSUP);
	ASSERT_TRUE(plan.error().refusal);
	const auto &tried = plan.error().refusal->rejections;
	ASSERT_EQ(tried.size(), 2u);
	EXPECT_EQ(tried[0].reason, RejectReason::FormatNotTaken);
	EXPECT_EQ(tried[0].format, DRM_FORMAT_NV12);
	EXPECT_EQ(tried[0].setBy, std::vector<ParticipantIdentity>{DeclaredIdentity{"display"}});
	EXPECT_EQ(tried[1].reason, RejectReason::FormatNotTaken);
	EXPECT_EQ(tried[1].format, DRM_FORMAT_XRGB8888);
	EXPECT_EQ(tried[1].setBy, std::vector<ParticipantIdentity>{DeclaredIdentity{"camera"}});
	EXPECT_EQ(plan.error().refusal->fix, "the participants together take: (empty)");
}

TEST(Negotiation, AlignmentsCombineByLcmAndLimitsByMin)
{
	Participant gpu = participant("gpu", FormatSet({DRM_FORMAT_XRGB8888}, {kLinear}));
	gpu.constraints.strideAlignment = 256;
	gpu.constraints.maxWidth = 4096;
	Participant scanout = display(false);
	scanout.constraints.strideAlignment = 64;
	scanout.constraints.maxWidth = 2048;
	auto plan = negotiate({1000, 100, {DRM_FORMAT_XRGB8888}}, {gpu, scanout}, kMachine);
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->linear().strideAlignment, 256u);

	auto wide = negotiate({3000, 100, {DRM_FORMAT_XRGB8888}}, {gpu, scanout}, kMachine);
	ASSERT_FALSE(wide);
	EXPECT_EQ(wide.error().code, ENOTSUP);
	ASSERT_TRUE(wide.error().refusal);
	const Rejection &r = wide.error().refusal->rejections.at(0);
	EXPECT_EQ(r.reason, RejectReason::WidthLimit);
	EXPECT_EQ(r.value, 3000u);
	EXPECT_EQ(r.limit, 2048u);
	EXPECT_EQ(r.setBy, std::vector<ParticipantIdentity>{DeclaredIdentity{"display"}});
}

TEST(Negotiation, ContradictoryDeclarationsAreRefused)
{
	Participant a = display(false), b = display(false);
	b.identity = DeclaredIdentity{"encoder"};
	a.constraints.placement.cached = true;
	b.constraints.placement.cached = false;
	auto plan = negotiate({64, 64, {DRM_FORMAT_XRGB8888}}, {a, b}, kMachine);
	ASSERT_FALSE(plan);
	EXPECT_EQ(plan.error().code, ENOTSUP) << "participants that contradict each other: no plan";
	ASSERT_TRUE(plan.error().refusal);
	const Rejection &both = plan.error().refusal->rejections.at(0);
	EXPECT_EQ(both.reason, RejectReason::CachingConflict);
	EXPECT_EQ(both.setBy, (std::vector<ParticipantIdentity>{DeclaredIdentity{"display"}, DeclaredIdentity{"encoder"}}));

	Participant odd = display(false);
	odd.constraints.strideAlignment = 48;
	auto bad = negotiate({64, 64, {DRM_FORMAT_XRGB8888}}, {odd}, kMachine);
	ASSERT_FALSE(bad);
	EXPECT_EQ(bad.error().code, EINVAL) << "a malformed constraint";
	ASSERT_TRUE(bad.error().refusal);
	EXPECT_EQ(bad.error().refusal->reason(), RejectReason::InvalidConstraint);
	EXPECT_EQ(bad.error().refusal->rejections.at(0).value, 48u);
}

// Every alignment is validated once, at the door, whoever asks: zero used to divide by
// zero in the late-attach check (SIGFPE) while negotiation refused it politely.
TEST(Negotiation, AbsurdAlignmentsAreRefusedAtTheDoor)
{
	for (uint32_t bad : {0u, 3u, 1u << 25, 0x80000000u}) {
		for (bool offset : {false, true}) {
			Participant p = display(false);
			(offset ? p.constraints.offsetAlignment : p.constraints.strideAlignment) = bad;
			auto plan = negotiate({64, 64, {DRM_FORMAT_XRGB8888}}, {p}, kMachine);
			ASSERT_FALSE(plan) << bad;
			ASSERT_TRUE(plan.error().refusal);
			const Rejection &r = plan.error().refusal->rejections.at(0);
			EXPECT_EQ(r.reason, RejectReason::InvalidConstraint);
			EXPECT_EQ(r.value, bad);
			EXPECT_EQ(r.plane, offset ? 1u : 0u);
		}
	}
}

TEST(Negotiation, VendorModifierPreferredImplicitOnlyIfEveryoneAllowsIt)
{
	std::vector<AllocatorInfo> gbm = {allocator("gbm:i915", false, FormatSet({DRM_FORMAT_XRGB8888}, {kLinear, kXTiled, kInvalid}))};
	Participant a = participant("gpu", FormatSet({DRM_FORMAT_XRGB8888}, {kLinear, kXTiled, kInvalid}));
	Participant b = participant("display", FormatSet({DRM_FORMAT_XRGB8888}, {kLinear, kXTiled}));
	auto plan = negotiate({64, 64, {DRM_FORMAT_XRGB8888}}, {a, b}, gbm);
	ASSERT_TRUE(plan);
	EXPECT_EQ(plan->modifier(), kXTiled);

	Participant c = participant("encoder", FormatSet({DRM_FORMAT_XRGB8888}, {kInvalid, kLinear}));
	auto noTiling = negotiate({64, 64, {DRM_FORMAT_XRGB8888}}, {a, c}, gbm);
	ASSERT_TRUE(noTiling);
	EXPECT_EQ(noTiling->modifier(), kLinear) << "LINEAR before the implicit layout";
}

TEST(SystemMemory, RamTopFromIomem)
{
	EXPECT_EQ(systemRamTopFrom("00000000-00000fff : Reserved\n"
				   "00001000-0009fbff : System RAM\n"
				   "00100000-3ffdffff : System RAM\n"
				   "  01000000-01e00000 : Kernel code\n"
				   "fee00000-fee00fff : Local APIC\n"),
		  0x3ffe0000u);
	EXPECT_EQ(systemRamTopFrom("00000000-00000000 : System RAM\n"), 0u) << "addresses hidden from non-root";
}

TEST(Describe, BadRequestsFailAtOnceAndConflictsLeaveTheBufferUnchanged)
{
	auto ctx = Context::create();
	ASSERT_TRUE(ctx);
	auto expectInvalid = [](const auto &refused, uint64_t value, uint64_t limit, uint32_t format) {
		ASSERT_FALSE(refused);
		EXPECT_EQ(refused.error().code, EINVAL);
		ASSERT_TRUE(refused.error().refusal);
		const Rejection &r = refused.error().refusal->rejections.at(0);
		EXPECT_EQ(r.reason, RejectReason::InvalidRequest);
		EXPECT_EQ(r.value, value);
		EXPECT_EQ(r.limit, limit);
		EXPECT_EQ(r.format, format);
	};
	expectInvalid((*ctx)->describe({0, 1080, {DRM_FORMAT_XRGB8888}}), 1080, kMaxDimension, 0);
	expectInvalid((*ctx)->describe({64, 64, {fourcc_code('N', 'O', 'P', 'E')}}), 0, 0, fourcc_code('N', 'O', 'P', 'E'));
	expectInvalid((*ctx)->describe({64, 64, {}}), 0, 0, 0);
	expectInvalid((*ctx)->describe({64, 64, {DRM_FORMAT_XRGB8888}, 1u << 20}), 1u << 20, 0x3f, 0);
	// The same rule at every door: negotiation and allocation refuse alike.
	expectInvalid((*ctx)->negotiate({70000, 1, {DRM_FORMAT_XRGB8888}}, {}), 70000ull << 32 | 1, kMaxDimension, 0);
	expectInvalid((*ctx)->allocate({64, 0, DRM_FORMAT_XRGB8888}), 64ull << 32, kMaxDimension, 0);
}

// hbm.h: a description "refuses only a bad request". On a machine without dma-buf memory
// (this host: a context over memfd alone) a good request is described; attach and
// allocate say that no plan exists, with the one "no plan" errno.
TEST(Describe, WithoutDmaBufMemoryAGoodRequestIsDescribedAndAllocationSaysWhyNot)
{
	std::vector<std::unique_ptr<Allocator>> memfdOnly;
	memfdOnly.push_back(memfd::MemfdAllocator::create());
	auto ctx = ContextFactory::create(std::move(memfdOnly));
	auto description = ctx->describe({64, 64, {DRM_FORMAT_XRGB8888}});
	ASSERT_TRUE(description) << description.error().toString();
	EXPECT_EQ((*description)->plan().allocator(), "") << "no plan yet";
	auto buffer = (*description)->allocate();
	ASSERT_FALSE(buffer);
	EXPECT_EQ(buffer.error().code, ENOTSUP);
	ASSERT_TRUE(buffer.error().refusal);
	EXPECT_EQ(buffer.error().refusal->reason(), RejectReason::NoDmaBufMemory);
	auto attached = (*description)->attach(display(false));
	ASSERT_FALSE(attached);
	EXPECT_EQ(attached.error().code, ENOTSUP);
	ASSERT_TRUE(attached.error().refusal);
	EXPECT_EQ(attached.error().refusal->reason(), RejectReason::NoDmaBufMemory);
	auto pool = BufferPool::create(ctx, {64, 64, {DRM_FORMAT_XRGB8888}}, {}, 2);
	ASSERT_FALSE(pool);
	EXPECT_EQ(pool.error().code, ENOTSUP);
}

TEST(Negotiation, ReadersFromOffsetZeroPassOverSubAllocatingRegions)
{
	AllocatorInfo region = allocator("region:video", true);
	region.subAllocates = true;
	Participant vkms = display(false);
	vkms.constraints.planesAtStart = true;
	auto plan = negotiate({640, 480, {DRM_FORMAT_XRGB8888}}, {vkms}, {region, kMachine[0]});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), "dma-heap:system");
	EXPECT_NE(traceOf(*plan).find("region:video for XRGB8888 (XR24): it places buffers at offsets inside one dma-buf, but display (declared) reads buffers only from offset 0"),
		  std::string::npos) << traceOf(*plan);
}

// A GPU's tiled layout is worth more than rank order: a scattered heap ranks first but
// can only make LINEAR, so GBM's X_TILED wins when every participant takes it.
TEST(Negotiation, AVendorLayoutBeatsAnEarlierAllocatorsLinear)
{
	AllocatorInfo gbm = allocator("gbm:i915", false, FormatSet({DRM_FORMAT_XRGB8888}, {kLinear, kXTiled}));
	gbm.kind = AllocatorKind::Gbm;
	Participant a = participant("gpu", FormatSet({DRM_FORMAT_XRGB8888}, {kLinear, kXTiled}));
	Participant b = participant("display", FormatSet({DRM_FORMAT_XRGB8888}, {kLinear, kXTiled}));
	auto plan = negotiate({1920, 1080, {DRM_FORMAT_XRGB8888}}, {a, b}, {kMachine[0], kMachine[1], gbm});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), "gbm:i915");
	EXPECT_EQ(plan->modifier(), kXTiled);
	EXPECT_NE(traceOf(*plan).find("preferred INTEL_X_TILED from gbm:i915 to LINEAR from dma-heap:system"),
		  std::string::npos) << traceOf(*plan);

	Participant linearOnly = participant("encoder", FormatSet({DRM_FORMAT_XRGB8888}, {kLinear}));
	auto plain = negotiate({1920, 1080, {DRM_FORMAT_XRGB8888}}, {a, linearOnly}, {kMachine[0], gbm});
	ASSERT_TRUE(plain);
	EXPECT_EQ(plain->allocator(), "dma-heap:system") << "with LINEAR only, rank order decides";
}

namespace {

/// A V4L2 queue that writes NV12 640x480 rows 640 bytes apart, chroma right after luma,
/// 460800 bytes (vicodec's answer to VIDIOC_TRY_FMT), and takes XRGB8888 at any stride.
Participant decoderQueue(uint32_t stride = 640)
{
	Participant p = participant("decoder", FormatSet({DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}, {kLinear}));
	Layout fixed{DRM_FORMAT_NV12, kLinear, 640, 480, {}, 462848};
	fixed.planes.push_back({0, stride, uint64_t(stride) * 480});
	fixed.planes.push_back({uint64_t(stride) * 480, stride, uint64_t(stride) * 240});
	p.constraints.fixedLayouts.push_back(fixed);
	return p;
}

} // namespace

// A driver's own layout (bytesperline, packed planes) is what hbm allocates — not hbm's
// 64-byte-aligned plane offsets — and the plan's trace says who fixed it.
TEST(Negotiation, ALayoutTheDeviceFixedIsTheLayoutPlanned)
{
	auto plan = negotiate({640, 480, {DRM_FORMAT_NV12}}, {decoderQueue()}, kMachine);
	ASSERT_TRUE(plan) << plan.error().message;
	ASSERT_TRUE(plan->linear().fixed);
	auto layout = linearLayout(DRM_FORMAT_NV12, 640, 480, plan->linear());
	ASSERT_TRUE(layout);
	EXPECT_EQ(*layout, *plan->linear().fixed);
	EXPECT_EQ(layout->planes[1].offset, 307200u);
	EXPECT_NE(traceOf(*plan).find("laid out as decoder (declared) fixed it: plane 0: stride 640 at 0, plane 1: stride 640 at 307200; 462848 bytes"),
		  std::string::npos) << traceOf(*plan);

	// A format the queue does not fix is laid out by hbm as before.
	auto rgb = negotiate({640, 480, {DRM_FORMAT_XRGB8888}}, {decoderQueue()}, kMachine);
	ASSERT_TRUE(rgb);
	EXPECT_FALSE(rgb->linear().fixed);
}

// Another size, an alignment another device needs, and two devices fixing different
// layouts: each is refused as data naming the device and both values.
TEST(Negotiation, AFixedLayoutOthersCannotTakeIsRefusedNamingWhoFixedIt)
{
	auto other = negotiate({320, 240, {DRM_FORMAT_NV12}}, {decoderQueue()}, kMachine);
	ASSERT_FALSE(other);
	ASSERT_TRUE(other.error().refusal);
	EXPECT_EQ(other.error().refusal->reason(), RejectReason::FixedSize);
	const Rejection *size = firstOf(other.error(), RejectReason::FixedSize);
	ASSERT_NE(size, nullptr) << other.error().message;
	EXPECT_EQ(size->value, 320ull << 32 | 240);
	EXPECT_EQ(size->limit, 640ull << 32 | 480);
	// The fix names both sizes and the device: no other allocator or format would help.
	EXPECT_EQ(other.error().refusal->fix,
		  "ask for 640x480, the size decoder (declared) is set for, or set it (and describe it) for 320x240");

	Participant display = participant("display", FormatSet({DRM_FORMAT_NV12}, {kLinear}));
	display.constraints.strideAlignment = 256;
	auto aligned = negotiate({640, 480, {DRM_FORMAT_NV12}}, {decoderQueue(), display}, kMachine);
	ASSERT_FALSE(aligned);
	EXPECT_EQ(aligned.error().refusal->reason(), RejectReason::StrideAlignment);
	const Rejection *stride = firstOf(aligned.error(), RejectReason::StrideAlignment);
	ASSERT_NE(stride, nullptr) << aligned.error().message;
	EXPECT_EQ(stride->value, 640u);
	EXPECT_EQ(stride->limit, 256u);
	EXPECT_EQ(identityName(stride->setBy.at(0)), "display (declared)");

	auto twoWays = negotiate({640, 480, {DRM_FORMAT_NV12}}, {decoderQueue(), decoderQueue(704)}, kMachine);
	ASSERT_FALSE(twoWays);
	EXPECT_EQ(twoWays.error().refusal->reason(), RejectReason::LayoutsConflict);
	const Rejection *conflict = firstOf(twoWays.error(), RejectReason::LayoutsConflict);
	ASSERT_NE(conflict, nullptr) << twoWays.error().message;
	EXPECT_EQ(conflict->setBy.size(), 2u) << twoWays.error().message;
}
