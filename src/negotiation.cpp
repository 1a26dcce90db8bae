// SPDX-License-Identifier: MIT
// Negotiation: the participants' constraints are combined, then each requested format
// (in the caller's order) is tried against each allocator (in rank order) until one can
// honour everything. Every rejection is kept as data, so a refusal explains itself.
#include "negotiation_private.hpp"

#include <algorithm>
#include <cerrno>
#include <optional>

#include <drm_fourcc.h>
#include <sys/sysmacros.h>

#include <hbm/format.hpp>

#include "constraint_check.hpp"
#include "base/string_format.hpp"

namespace hbm {

namespace {

/// "plane 0: stride 640 at 0, plane 1: stride 640 at 307200; 462848 bytes".
std::string describeLayout(const Layout &layout)
{
	std::vector<std::string> planes;
	for (size_t i = 0; i < layout.planes.size(); ++i)
		planes.push_back(stringf("plane %zu: stride %u at %llu", i, layout.planes[i].stride,
					 (unsigned long long)layout.planes[i].offset));
	return joined(planes) + stringf("; %llu bytes", (unsigned long long)layout.size);
}

} // namespace

namespace {

/// Modifier preference among those everyone accepts: a vendor layout first (it is why a
/// driver offers one), LINEAR next, the implicit INVALID last.
uint64_t pickModifier(const std::vector<uint64_t> &modifiers)
{
	for (uint64_t m : modifiers)
		if (m != DRM_FORMAT_MOD_LINEAR && m != DRM_FORMAT_MOD_INVALID)
			return m;
	for (uint64_t m : modifiers)
		if (m == DRM_FORMAT_MOD_LINEAR)
			return m;
	return modifiers.front();
}

bool has(const std::vector<Rejection> &tried, RejectReason reason)
{
	return std::any_of(tried.begin(), tried.end(), [&](const Rejection &r) { return r.reason == reason; });
}

/// What would satisfy the participants, true for this machine's allocators.
std::string advice(const std::vector<Rejection> &tried, const Combined &combined,
		   const std::vector<AllocatorInfo> &allocators, bool formatFailed,
		   const std::vector<Participant> &participants = {})
{
	const Placement &want = combined.constraints.placement;
	if (std::none_of(allocators.begin(), allocators.end(), [](const AllocatorInfo &a) { return a.deviceImportable; }))
		return "this machine offers no dma-buf memory (no /dev/dma_heap, /dev/udmabuf or DRM device hbm can use)";
	if (formatFailed && !tried.empty() &&
	    std::all_of(tried.begin(), tried.end(), [](const Rejection &r) { return r.reason == RejectReason::NoCommonModifier; })) {
		// Each takes the format, in layouts the others do not: say whose is whose.
		std::vector<std::string> each;
		const uint32_t format = tried.front().format;
		for (const Participant &p : participants) {
			std::vector<std::string> mods;
			for (uint64_t m : p.constraints.formats.modifiers(format))
				mods.push_back(modifierName(m));
			each.push_back(p.name() + " takes " + formatName(format) + " as " + joined(mods));
		}
		return "a layout all of them take: " + joined(each, "; ");
	}
	if (formatFailed)
		return "the participants together take: " + combined.constraints.formats.toString();
	// checkCandidate() weighs the size last: an allocator refused for it would honour all
	// else, so what fixes it is a smaller buffer or a larger allocator, nothing else.
	const Rejection *largest = nullptr;
	for (const Rejection &r : tried)
		if (r.reason == RejectReason::SizeLimit && (!largest || r.limit > largest->limit))
			largest = &r;
	if (largest) {
		auto a = std::find_if(allocators.begin(), allocators.end(),
				      [&](const AllocatorInfo &x) { return x.name == largest->allocator; });
		const std::string why = a == allocators.end() || a->maxSizeReason.empty() ? "" : " (its limit is " + a->maxSizeReason + ")";
		return "a smaller buffer (at most " + byteCount(largest->limit) + " from " + largest->allocator + "), or a larger " +
		       largest->allocator + why;
	}
	// A device that lays the format out itself at one size (a V4L2 queue set for it): the
	// request's size or that device's must change, nothing else helps.
	for (const Rejection &r : tried)
		if (r.reason == RejectReason::FixedSize && !r.setBy.empty()) {
			const std::string who = identityName(r.setBy.front());
			return stringf("ask for %ux%u, the size %s is set for, or set it (and describe it) for %ux%u",
				       unsigned(r.limit >> 32), unsigned(r.limit & 0xffffffffu), who.c_str(),
				       unsigned(r.value >> 32), unsigned(r.value & 0xffffffffu));
		}
	if (has(tried, RejectReason::NotDeviceLocal)) {
		auto local = std::find_if(allocators.begin(), allocators.end(),
					  [&](const AllocatorInfo &a) { return a.drmDeviceId == want.localTo; });
		return local == allocators.end()
			       ? stringf("give hbm an allocator on device %u:%u (its DRM fd in the context options)",
					 major(want.localTo), minor(want.localTo))
			       : "allow " + local->name + ", the allocator of that device";
	}
	if (has(tried, RejectReason::NotContiguous)) {
		std::vector<std::string> contiguous;
		for (const AllocatorInfo &a : allocators)
			if (a.contiguous && a.deviceImportable)
				contiguous.push_back(a.name);
		if (contiguous.empty())
			return "add a CMA heap (boot with cma=64M and CONFIG_DMABUF_HEAPS_CMA) or give the device an IOMMU";
		return "the contiguous allocator" + std::string(contiguous.size() > 1 ? "s " : " ") + joined(contiguous) +
		       " cannot serve this request either (see above); allow " +
		       (contiguous.size() > 1 ? "one of them" : "it") + " for a format the participants take";
	}
	if (has(tried, RejectReason::AddressLimit))
		return "provide a heap whose memory lies below " + hex(want.addressLimit) +
		       " (a CMA area placed low, or a carve-out declared with memory_end), or a machine whose RAM ends below it";
	return "allow another allocator or format";
}

} // namespace

const std::vector<Participant> &Plan::participants() const
{
	static const std::vector<Participant> kNone;
	return state_ ? state_->participants : kNone;
}

const Constraints &Plan::constraints() const
{
	static const Constraints kNone;
	return state_ ? state_->combined.constraints : kNone;
}

const Layout *Plan::layout() const
{
	return state_ && state_->layout ? &*state_->layout : nullptr;
}

Result<Plan> negotiate(const Request &request, const std::vector<Participant> &participants,
		       const std::vector<AllocatorInfo> &allocators, uint64_t physicalTop)
{
	if (auto bad = validateRequest(request))
		return requestRefused(std::move(*bad));

	auto combined = combineConstraints(participants);
	if (!combined)
		return combined.error();
	const Constraints &c = combined->constraints;
	const std::string what = stringf("no plan for %ux%u", request.width, request.height);

	// Size limits come first: no format or allocator can change them.
	if (auto size = checkSize(*combined, request.width, request.height))
		return refusalError(kNoPlan, Refusal{what, {*size}, "ask for a smaller buffer"});

	LinearRules linear;
	linear.strideAlignment = std::max<uint32_t>(c.strideAlignment, 64);
	linear.offsetAlignment = std::max<uint32_t>(c.offsetAlignment, 64);
	std::vector<std::string> trace = combined->trace;
	if (participants.empty())
		trace.push_back("no participants: any device-importable layout will do");

	// Nothing here can make memory a device imports: one reason says it all.
	if (std::none_of(allocators.begin(), allocators.end(), [](const AllocatorInfo &a) { return a.deviceImportable; })) {
		Rejection r;
		r.reason = RejectReason::NoDmaBufMemory;
		r.allocator = joinedBy(allocators, [](const AllocatorInfo &a) { return a.name; });
		return refusalError(kNoPlan, Refusal{what, {r}, advice({}, *combined, allocators, false)});
	}

	std::vector<Rejection> tried;
	bool formatFailed = true;
	for (uint32_t format : request.formats) {
		std::vector<uint64_t> modifiers;
		if (combined->anyFormat) {
			modifiers = {DRM_FORMAT_MOD_LINEAR};
		} else {
			auto accepted = c.formats.modifiers(format);
			modifiers.assign(accepted.begin(), accepted.end());
		}
		if (modifiers.empty()) {
			Rejection r;
			r.format = format;
			r.reason = RejectReason::NoCommonModifier;
			for (const Participant &p : participants)
				if (!p.constraints.formats.containsFormat(format)) {
					if (r.reason == RejectReason::NoCommonModifier)
						r.setBy.clear();
					r.reason = RejectReason::FormatNotTaken;
					r.setBy.push_back(p.identity);
				} else if (r.reason == RejectReason::NoCommonModifier) {
					r.setBy.push_back(p.identity); // each lists it, in its own layouts
				}
			tried.push_back(std::move(r));
			continue;
		}
		formatFailed = false;
		// A format whose layout a participant fixed is laid out that way, or not at all.
		const Layout *fixed = fixedLayout(*combined, format);
		LinearRules rules = linear;
		if (fixed)
			rules.fixed = *fixed;

		// Every allocator is asked; the best modifier class wins (a vendor layout, then
		// LINEAR, then the implicit one), and among equals the first in rank order.
		struct Accepted {
			const AllocatorInfo *allocator;
			uint64_t modifier;
			std::optional<Layout> layout;
		};
		std::optional<Accepted> best;
		auto rankOf = [](uint64_t m) {
			return m == DRM_FORMAT_MOD_INVALID ? 2 : (m == DRM_FORMAT_MOD_LINEAR ? 1 : 0);
		};
		for (const AllocatorInfo &a : allocators) {
			const Capabilities cap = capabilitiesOf(a);
			std::vector<uint64_t> usable;
			for (uint64_t m : modifiers)
				if (a.formats.contains(format, m))
					usable.push_back(m);
			const uint64_t modifier = usable.empty() ? modifiers.front() : pickModifier(usable);
			if (best && rankOf(modifier) >= rankOf(best->modifier))
				continue; // no better than what an earlier allocator offers

			Candidate candidate{request.width, request.height, format, modifier, nullptr};
			std::optional<Layout> layout;
			if (modifier == DRM_FORMAT_MOD_LINEAR && !usable.empty()) {
				auto made = linearLayout(format, request.width, request.height, rules);
				if (!made) {
					Rejection r;
					r.reason = RejectReason::LayoutImpossible;
					r.allocator = a.name;
					r.format = format;
					tried.push_back(std::move(r));
					continue;
				}
				layout = std::move(*made);
				candidate.layout = &*layout;
			}
			if (auto rejected = checkCandidate(*combined, cap, candidate, physicalTop)) {
				tried.push_back(std::move(*rejected));
				continue;
			}
			if (best)
				trace.push_back("preferred " + modifierName(modifier) + " from " + a.name + " to " +
						modifierName(best->modifier) + " from " + best->allocator->name);
			best = Accepted{&a, modifier, std::move(layout)};
			if (rankOf(modifier) == 0)
				break;
		}
		if (!best)
			continue;
		const AllocatorInfo &a = *best->allocator;
		const uint64_t modifier = best->modifier;
		for (const Rejection &r : tried)
			trace.push_back("passed over " + r.subject() + ": " + r.why());
		trace.push_back("chose " + formatName(format) + " with modifier " + modifierName(modifier) + " from " + a.name +
				(a.contiguous ? " (contiguous)" : "") + stringf(", stride aligned to %u", linear.strideAlignment));
		if (c.placement.addressLimit) {
			std::vector<std::string> by;
			for (const ParticipantIdentity &id : combined->setBy.addressLimit)
				by.push_back(identityName(id));
			trace.push_back((a.memoryEnd && a.memoryEnd <= c.placement.addressLimit
						 ? a.name + "'s memory ends at " + hex(a.memoryEnd) + " (configured)"
						 : "RAM ends at " + hex(physicalTop)) +
					", below the limit " + hex(c.placement.addressLimit) + " of " + joined(by, " and "));
		}
		if (fixed)
			trace.push_back("laid out as " +
					joinedBy(combined->setBy.fixedLayouts[size_t(fixed - c.fixedLayouts.data())],
						 [](const ParticipantIdentity &id) { return identityName(id); }, " and ") +
					" fixed it: " + describeLayout(*fixed));
		Placement placement = c.placement;
		auto state = std::make_shared<PlanState>();
		state->participants = participants;
		state->combined = std::move(*combined);
		state->layout = std::move(best->layout);
		state->allocatorIndex = size_t(&a - allocators.data());
		state->physicalTop = physicalTop;
		return PlanBuilder::make(request.width, request.height, request.usage, format, modifier, rules,
					 placement, a.name, std::move(trace), std::move(state));
	}

	std::string fix = advice(tried, *combined, allocators, formatFailed, participants);
	return refusalError(kNoPlan, Refusal{what, std::move(tried), std::move(fix)});
}

} // namespace hbm
