// SPDX-License-Identifier: MIT
// libFuzzer target: negotiate() — combineConstraints(), checkCandidate(), linearLayout()
// and the plan — over participants and allocators built from bytes (input format:
// negotiation_input.hpp), then the plan allocated by a fake byte allocator at the seam
// (a memfd: cheap, and no kernel device involved).
//
// Invariants, on every accepted plan: the format was requested, every participant takes
// it with the chosen modifier and the chosen allocator (a device-importable one) makes
// it; the plan's alignments are a multiple of every participant's, and of the linear
// layout every stride and offset is a multiple of them, each stride holds a row and no
// more than max_stride, each plane lies inside the size and nothing overflows; size
// limits, contiguity, caching, the address limit, device-local memory, planes at the start
// and allowed allocators hold by independent arithmetic here; the plan's placement is the
// combined one; checkCandidate() of the chosen candidate passes (the one rule agrees with
// itself). The buffer allocated from the plan has the plan's layout. On every refusal: an
// errno and a printable sentence; each rejection has a reason, and a limit one names who
// set it.
#include <algorithm>
#include <cerrno>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <hbm/buffer.hpp>
#include <hbm/format.hpp>
#include "negotiation_private.hpp"

#include "backends/allocator.hpp"
#include "buffer_private.hpp"
#include "fakes/process_resources.hpp"
#include "constraint_check.hpp"
#include "context_private.hpp"
#include "fuzz_check.hpp"
#include "negotiation_input.hpp"
#include "base/system_memory.hpp"

using namespace hbm;
using namespace hbm::fuzz;

namespace {

/// Allocations above this are not made (memfds are sparse, but the check reads nothing
/// bigger to learn more).
constexpr uint64_t kMaxAllocated = 64ull << 20;

/// A byte allocator declaring whatever the input says, giving memfds: the seam's fake.
class FuzzAllocator final : public ByteAllocator
{
public:
	explicit FuzzAllocator(AllocatorInfo info) : ByteAllocator(std::move(info)) {}

private:
	Result<void> doAllocateBytes(const ByteRequest &request, Bytes &out) override
	{
		UniqueFd fd(::memfd_create("fuzz-negotiation", MFD_CLOEXEC));
		if (!fd || ::ftruncate(fd.get(), off_t(request.size)) < 0)
			return Error{errno, "memfd"};
		out = Bytes{SharedFd(std::move(fd)), 0, request.size, request.size, {}};
		return {};
	}
};

uint64_t powerOf(uint8_t v)
{
	return v ? uint64_t(1) << (v % 64) : 0;
}

uint32_t alignmentOf(uint8_t v)
{
	return v < 32 ? uint32_t(1) << v : v;
}

dev_t deviceOf(unsigned v)
{
	return v ? makedev(226, v) : 0;
}

FormatSet pairsOf(const std::vector<PairInput> &pairs)
{
	FormatSet set;
	for (const PairInput &p : pairs)
		set.add(formatOf(p.format), kModifierChoices[p.modifier % kModifierChoiceCount]);
	return set;
}

struct Built {
	Request request;
	std::vector<Participant> participants;
	std::vector<AllocatorInfo> allocators;
	uint64_t physicalTop = 0;
};

Built build(const NegotiationInput &in)
{
	Built b;
	b.request.width = in.width;
	b.request.height = in.height;
	for (uint8_t f : in.formats)
		b.request.formats.push_back(formatOf(f));
	b.physicalTop = in.physicalTop == 1 ? systemRamTop() : powerOf(in.physicalTop);
	for (const AllocatorInput &a : in.allocators) {
		const std::string name = kAllocatorNames[a.name % kAllocatorNameCount];
		if (std::any_of(b.allocators.begin(), b.allocators.end(),
				[&](const AllocatorInfo &i) { return i.name == name; }))
			continue; // names are unique, as the registry makes them
		AllocatorInfo info;
		info.name = name;
		info.kind = AllocatorKind::DmaHeap;
		info.contiguous = a.flags & 1;
		info.cached = a.flags & 2;
		info.deviceImportable = a.flags & 4;
		info.subAllocates = a.flags & 8;
		info.drmDeviceId = deviceOf((a.flags >> 4) & 3);
		info.maxSize = a.maxSize ? uint64_t(4096) << ((a.maxSize - 1) % 40) : 0;
		info.memoryEnd = powerOf(a.memoryEnd);
		info.formats = pairsOf(a.pairs);
		b.allocators.push_back(std::move(info));
	}
	for (const ParticipantInput &p : in.participants) {
		Participant part;
		const unsigned number = p.identity >> 2;
		switch (p.identity & 3) {
		case 0: part.identity = DeclaredIdentity{"device" + std::to_string(number)}; break;
		case 1:
		case 2:
			part.identity = KmsPlaneIdentity{deviceOf(1), 30 + number,
							 (p.identity & 3) == 1 ? PlaneType::Primary : PlaneType::Cursor,
							 1, "vkms"};
			break;
		default:
			part.identity = V4l2QueueIdentity{makedev(81, number), V4l2Queue::Capture, "vivid", "vivid"};
			break;
		}
		part.source = "fuzz";
		Constraints &c = part.constraints;
		c.formats = pairsOf(p.pairs);
		c.strideAlignment = alignmentOf(p.strideAlignment);
		c.offsetAlignment = alignmentOf(p.offsetAlignment);
		c.maxWidth = p.maxWidth;
		c.maxHeight = p.maxHeight;
		c.maxStride = p.maxStride;
		c.planesAtStart = p.flags & 1;
		c.placement.contiguous = p.flags & 2;
		const unsigned cached = (p.flags >> 2) & 3;
		if (cached == 1 || cached == 2)
			c.placement.cached = cached == 2;
		c.placement.localTo = deviceOf((p.flags >> 4) & 3);
		c.placement.addressLimit = powerOf(p.addressLimit);
		for (size_t i = 0; i < kAllocatorNameCount; ++i)
			if (p.allowed & (1u << i))
				c.placement.allowedAllocators.push_back(kAllocatorNames[i]);
		b.participants.push_back(std::move(part));
	}
	return b;
}

/// Reasons that are a participant's limit: the rejection must say whose.
bool namesWhoSetIt(RejectReason reason)
{
	switch (reason) {
	case RejectReason::InvalidConstraint:
	case RejectReason::AllocatorNotAllowed:
	case RejectReason::NotDeviceLocal:
	case RejectReason::NotAtStart:
	case RejectReason::NotContiguous:
	case RejectReason::CachingMismatch:
	case RejectReason::AddressLimit:
	case RejectReason::WidthLimit:
	case RejectReason::HeightLimit:
	case RejectReason::StrideLimit:
	case RejectReason::StrideAlignment:
	case RejectReason::OffsetAlignment:
	case RejectReason::CachingConflict:
	case RejectReason::AllocatorsConflict:
	case RejectReason::DevicesConflict: return true;
	default: return false;
	}
}

void checkRefused(const Error &error)
{
	checkRefusal(error);
	if (!error.refusal)
		return; // the request itself (size, formats): a plain EINVAL
	const Refusal &r = *error.refusal;
	if (r.rejections.empty())
		fail("refusal", "no rejection: " + error.message);
	for (const Rejection &j : r.rejections) {
		if (j.reason == RejectReason::None)
			fail("refusal", "a rejection without a reason: " + error.message);
		if (namesWhoSetIt(j.reason) && j.setBy.empty())
			fail("refusal", std::string(rejectReasonName(j.reason)) +
						" names nobody who set the limit: " + error.message);
		checkSentence(j.why(), "a rejection's why()");
		if (!j.subject().empty())
			checkSentence(j.subject(), "a rejection's subject()");
	}
	checkSentence(r.toString(), "Refusal::toString()");
}

std::string planeName(size_t i)
{
	return "plane " + std::to_string(i);
}

void checkLayout(const Layout &l, const Built &b, const Plan &plan)
{
	const FormatInfo *info = findFormat(plan.format());
	if (l.planes.size() != info->planeCount)
		fail("plan layout", "plane count");
	for (size_t i = 0; i < l.planes.size(); ++i) {
		const PlaneLayout &p = l.planes[i];
		const PlaneFormat &pf = info->planes[i];
		for (const Participant &part : b.participants) {
			if (p.stride % part.constraints.strideAlignment)
				fail("plan layout", planeName(i) + " stride " + std::to_string(p.stride) +
							    " is not a multiple of " + part.name() + "'s " +
							    std::to_string(part.constraints.strideAlignment));
			if (p.offset % part.constraints.offsetAlignment)
				fail("plan layout", planeName(i) + " offset " + std::to_string(p.offset) +
							    " is not a multiple of " + part.name() + "'s " +
							    std::to_string(part.constraints.offsetAlignment));
			if (part.constraints.maxStride && p.stride > part.constraints.maxStride)
				fail("plan layout", planeName(i) + " stride above " + part.name() + "'s max_stride");
			if (part.constraints.planesAtStart && i == 0 && p.offset != 0)
				fail("plan layout", "plane 0 not at the start, " + part.name() + " needs it");
		}
		const uint64_t columns = (uint64_t(l.width) + pf.hsub - 1) / pf.hsub;
		const uint64_t row = (columns + pf.blockWidth - 1) / pf.blockWidth * pf.bytesPerBlock;
		const uint64_t rows = (uint64_t(l.height) + pf.vsub - 1) / pf.vsub;
		if (p.stride < row)
			fail("plan layout", planeName(i) + " stride holds no row");
		uint64_t bytes, end;
		if (__builtin_mul_overflow(uint64_t(p.stride), rows, &bytes) || bytes != p.size ||
		    __builtin_add_overflow(p.offset, p.size, &end) || end > l.size)
			fail("plan layout", planeName(i) + " does not lie inside the size");
		if (i > 0 && p.offset < l.planes[i - 1].offset + l.planes[i - 1].size)
			fail("plan layout", planeName(i) + " overlaps the plane before");
	}
}

void checkPlan(const Plan &plan, const Built &b)
{
	const Request &req = b.request;
	if (plan.width() != req.width || plan.height() != req.height)
		fail("plan", "not the size asked for");
	if (std::find(req.formats.begin(), req.formats.end(), plan.format()) == req.formats.end())
		fail("plan", "a format that was not requested: " + formatName(plan.format()));
	auto chosen = std::find_if(b.allocators.begin(), b.allocators.end(),
				   [&](const AllocatorInfo &a) { return a.name == plan.allocator(); });
	if (chosen == b.allocators.end())
		fail("plan", "an allocator that does not exist: " + plan.allocator());
	const AllocatorInfo &a = *chosen;
	const std::string what = formatName(plan.format()) + " " + modifierName(plan.modifier()) + " from " + a.name;
	if (!a.deviceImportable)
		fail("plan", what + ": the allocator makes no dma-bufs");
	if (!a.formats.contains(plan.format(), plan.modifier()))
		fail("plan", what + ": the allocator does not make it");
	const LinearRules &linear = plan.linear();
	for (const Participant &p : b.participants) {
		const Constraints &c = p.constraints;
		const std::string who = what + ": " + p.name();
		if (!c.formats.contains(plan.format(), plan.modifier()))
			fail("plan", who + " does not take it");
		if (linear.strideAlignment % c.strideAlignment || linear.offsetAlignment % c.offsetAlignment)
			fail("plan", who + "'s alignment does not divide the plan's");
		if ((c.maxWidth && req.width > c.maxWidth) || (c.maxHeight && req.height > c.maxHeight))
			fail("plan", who + "'s size limit is exceeded");
		const Placement &want = c.placement;
		if (want.contiguous && !a.contiguous)
			fail("plan", who + " needs contiguous memory");
		if (want.cached && *want.cached != a.cached)
			fail("plan", who + " needs other caching");
		if (want.localTo && want.localTo != a.drmDeviceId)
			fail("plan", who + " needs memory of its own device");
		if (!want.allowedAllocators.empty() &&
		    std::find(want.allowedAllocators.begin(), want.allowedAllocators.end(), a.name) ==
			    want.allowedAllocators.end())
			fail("plan", who + " does not allow the allocator");
		if (c.planesAtStart && a.subAllocates)
			fail("plan", who + " needs plane 0 at the start; the allocator sub-allocates");
		if (want.addressLimit) {
			const bool configured = a.memoryEnd && a.memoryEnd <= want.addressLimit;
			const bool belowRamTop = !a.contiguous && b.physicalTop && b.physicalTop <= want.addressLimit;
			if (!configured && !belowRamTop)
				fail("plan", who + "'s address limit is not known to hold");
		}
	}

	auto combined = combineConstraints(b.participants);
	if (!combined)
		fail("plan", "negotiated, but the participants do not combine: " + combined.error().message);
	const Placement &p = plan.placement(), &q = combined->constraints.placement;
	if (p.contiguous != q.contiguous || p.addressLimit != q.addressLimit || p.cached != q.cached ||
	    p.allowedAllocators != q.allowedAllocators || p.localTo != q.localTo)
		fail("plan", "its placement is not the participants' combined placement");
	std::optional<Layout> layout;
	if (plan.modifier() == DRM_FORMAT_MOD_LINEAR) {
		auto made = linearLayout(plan.format(), plan.width(), plan.height(), linear);
		if (!made)
			fail("plan", "a linear plan whose layout cannot be made: " + made.error().message);
		layout = std::move(*made);
		checkLayout(*layout, b, plan);
		if (a.maxSize && layout->size > a.maxSize)
			fail("plan",
			     what + ": " + std::to_string(layout->size) + " bytes, above the allocator's maximum");
	}
	Candidate candidate{plan.width(), plan.height(), plan.format(), plan.modifier(), layout ? &*layout : nullptr};
	if (auto rejected = checkCandidate(*combined, capabilitiesOf(a), candidate, b.physicalTop))
		fail("plan",
		     "checkCandidate() refuses the chosen candidate: " + rejected->subject() + ": " + rejected->why());

	// Allocated at the seam: the buffer's layout is the plan's. Only linear layouts (a
	// byte allocator makes no other), not too big, and only when the plan did not rely on a
	// made-up top of RAM (the allocation checks against this machine's).
	if (!layout || layout->size > kMaxAllocated || (p.addressLimit && b.physicalTop != systemRamTop()))
		return;
	// Bound to an allocator at the seam as a context binds its plans, then made by the one
	// path from a plan to storage (which checks the result against the participants).
	Plan bound = plan;
	PlanBuilder::bind(bound, std::make_shared<FuzzAllocator>(a), b.participants);
	auto buffer = allocatePlan(bound);
	if (!buffer) {
		checkRefusal(buffer.error());
		fail("allocating the plan", buffer.error().message);
	}
	if ((*buffer)->layout() != *layout)
		fail("allocating the plan", "the buffer's layout is not the plan's");
	if ((*buffer)->origin() != a.name)
		fail("allocating the plan", "made by " + (*buffer)->origin() + ", not " + a.name);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t before = test::openFdCount();
	{
		const Built b = build(decodeNegotiationInput(data, size));
		auto plan = negotiate(b.request, b.participants, b.allocators, b.physicalTop);
		if (plan)
			checkPlan(*plan, b);
		else
			checkRefused(plan.error());
	}
	if (size_t after = test::openFdCount(); after != before)
		fail("fds left open", std::to_string(after - before) + " more:" + test::openFdList());
	return 0;
}
