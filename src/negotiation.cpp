// SPDX-License-Identifier: MIT
// Negotiation: the participants' constraints are combined, then each requested format
// (in the caller's order) is tried against each allocator (in rank order) until one can
// honour everything. Every rejection is kept, so a refusal explains itself.
#include <hbm/negotiation.hpp>

#include <algorithm>
#include <cerrno>
#include <numeric>

#include <drm_fourcc.h>

#include <hbm/format.hpp>

#include "error.hpp"
#include "negotiation_private.hpp"
#include "string_format.hpp"

namespace hbm {

namespace {

bool powerOfTwo(uint32_t v)
{
	return v && !(v & (v - 1));
}

uint32_t minLimit(uint32_t a, uint32_t b)
{
	return a == 0 ? b : (b == 0 ? a : std::min(a, b));
}

std::string joined(const std::vector<std::string> &items, const char *sep = ", ")
{
	std::string out;
	for (const std::string &s : items)
		out += (out.empty() ? "" : sep) + s;
	return out;
}

std::string hex(uint64_t v)
{
	return stringf("0x%llx", static_cast<unsigned long long>(v));
}

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

/// What was tried and why it failed: "dma-heap:system for XRGB8888" / "scattered pages…".
struct Rejection {
	std::string subject;
	std::string reason;
};

/// Rejections with the same reason told once: "a, b, c: reason; d: other reason".
std::string grouped(const std::vector<Rejection> &rejections)
{
	std::vector<std::pair<std::string, std::vector<std::string>>> groups;
	for (const Rejection &r : rejections) {
		auto g = std::find_if(groups.begin(), groups.end(), [&](const auto &x) { return x.first == r.reason; });
		if (g == groups.end())
			groups.push_back({r.reason, {r.subject}});
		else
			g->second.push_back(r.subject);
	}
	std::string out;
	for (const auto &[reason, subjects] : groups)
		out += (out.empty() ? "" : "; ") + joined(subjects) + ": " + reason;
	return out;
}

} // namespace

Result<Combined> combineConstraints(const std::vector<Participant> &participants)
{
	Combined out;
	Constraints &c = out.constraints;
	bool first = true;
	for (const Participant &p : participants) {
		const Constraints &pc = p.constraints;
		for (auto [value, what] : {std::pair{pc.strideAlignment, "stride"}, std::pair{pc.offsetAlignment, "offset"}})
			if (!powerOfTwo(value))
				return makeError(EINVAL, "%s declares %s alignment %u: alignments must be powers of two",
						 p.name.c_str(), what, value);
		c.formats = first ? pc.formats : c.formats.intersect(pc.formats);
		first = false;
		c.strideAlignment = std::lcm(c.strideAlignment, pc.strideAlignment);
		c.offsetAlignment = std::lcm(c.offsetAlignment, pc.offsetAlignment);
		if (pc.maxWidth && (c.maxWidth == 0 || pc.maxWidth < c.maxWidth))
			out.maxWidthBy = p.name;
		if (pc.maxHeight && (c.maxHeight == 0 || pc.maxHeight < c.maxHeight))
			out.maxHeightBy = p.name;
		if (pc.maxStride && (c.maxStride == 0 || pc.maxStride < c.maxStride))
			out.maxStrideBy = p.name;
		if (pc.planesAtStart && !c.planesAtStart) {
			c.planesAtStart = true;
			out.planesAtStartBy = p.name;
		}
		c.maxWidth = minLimit(c.maxWidth, pc.maxWidth);
		c.maxHeight = minLimit(c.maxHeight, pc.maxHeight);
		c.maxStride = minLimit(c.maxStride, pc.maxStride);

		const Placement &pp = pc.placement;
		if (pp.contiguous) {
			c.placement.contiguous = true;
			out.contiguousBy.push_back(p.name);
		}
		if (pp.addressLimit && (c.placement.addressLimit == 0 || pp.addressLimit < c.placement.addressLimit)) {
			c.placement.addressLimit = pp.addressLimit;
			out.addressLimitBy = p.name;
		}
		if (pp.cached) {
			if (c.placement.cached && *c.placement.cached != *pp.cached)
				return makeError(EINVAL, "%s needs %s memory but %s needs %s memory: no buffer can be both",
						 out.cachedBy.c_str(), *c.placement.cached ? "cached" : "uncached",
						 p.name.c_str(), *pp.cached ? "cached" : "uncached");
			c.placement.cached = pp.cached;
			out.cachedBy = p.name;
		}
		if (!pp.allowedAllocators.empty()) {
			if (c.placement.allowedAllocators.empty()) {
				c.placement.allowedAllocators = pp.allowedAllocators;
			} else {
				std::vector<std::string> both;
				for (const std::string &a : c.placement.allowedAllocators)
					if (std::find(pp.allowedAllocators.begin(), pp.allowedAllocators.end(), a) !=
					    pp.allowedAllocators.end())
						both.push_back(a);
				if (both.empty())
					return makeError(EINVAL, "%s allows only allocators %s, which the others exclude (they allow %s)",
							 p.name.c_str(), joined(pp.allowedAllocators).c_str(),
							 joined(c.placement.allowedAllocators).c_str());
				c.placement.allowedAllocators = both;
			}
		}
		out.trace.push_back(p.name + " (" + p.source + ")");
	}
	return out;
}

Result<Plan> negotiate(const Request &request, const std::vector<Participant> &participants,
		       const std::vector<AllocatorInfo> &allocators, uint64_t physicalTop)
{
	if (request.width == 0 || request.height == 0 || request.width > kMaxDimension || request.height > kMaxDimension)
		return makeError(EINVAL, "%ux%u: width and height must be 1 to %u", request.width, request.height,
				 kMaxDimension);
	if (request.formats.empty())
		return makeError(EINVAL, "no format requested");
	for (uint32_t f : request.formats)
		if (!findFormat(f))
			return makeError(EINVAL, "unknown format %s: hbm has no layout for it", formatName(f).c_str());

	auto combined = combineConstraints(participants);
	if (!combined)
		return combined.error();
	const Constraints &c = combined->constraints;
	const std::string what = stringf("%ux%u", request.width, request.height);

	// Size limits come first: no format or allocator can change them.
	if (c.maxWidth && request.width > c.maxWidth)
		return makeError(E2BIG, "no plan for %s: %s takes at most %u pixels across", what.c_str(),
				 combined->maxWidthBy.c_str(), c.maxWidth);
	if (c.maxHeight && request.height > c.maxHeight)
		return makeError(E2BIG, "no plan for %s: %s takes at most %u rows", what.c_str(),
				 combined->maxHeightBy.c_str(), c.maxHeight);

	Plan plan;
	plan.width = request.width;
	plan.height = request.height;
	plan.usage = request.usage;
	plan.placement = c.placement;
	plan.linear.strideAlignment = std::max<uint32_t>(c.strideAlignment, 64);
	plan.linear.offsetAlignment = std::max<uint32_t>(c.offsetAlignment, 64);
	plan.trace = combined->trace;
	if (participants.empty())
		plan.trace.push_back("no participants: any device-importable layout will do");

	std::vector<Rejection> tried;
	bool placementFailed = false, addressFailed = false, formatFailed = true;
	for (uint32_t format : request.formats) {
		std::vector<uint64_t> modifiers;
		if (participants.empty()) {
			modifiers = {DRM_FORMAT_MOD_LINEAR};
		} else {
			auto accepted = c.formats.modifiers(format);
			modifiers.assign(accepted.begin(), accepted.end());
		}
		if (modifiers.empty()) {
			std::string why = "no modifier every participant takes";
			for (const Participant &p : participants)
				if (!p.constraints.formats.containsFormat(format)) {
					why = p.name + " does not take it";
					break;
				}
			tried.push_back({formatName(format), why});
			continue;
		}
		formatFailed = false;

		for (const AllocatorInfo &a : allocators) {
			auto reject = [&](const std::string &why) {
				tried.push_back({a.name + " for " + formatName(format), why});
			};
			if (!a.deviceImportable) {
				reject("CPU-only memory");
				continue;
			}
			std::vector<uint64_t> usable;
			for (uint64_t m : modifiers)
				if (a.formats.contains(format, m))
					usable.push_back(m);
			if (usable.empty()) {
				reject("cannot make the modifiers the participants take");
				continue;
			}
			const auto &allowed = c.placement.allowedAllocators;
			if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), a.name) == allowed.end()) {
				reject("not among the allowed allocators (" + joined(allowed) + ")");
				placementFailed = true;
				continue;
			}
			if (c.planesAtStart && a.subAllocates) {
				reject("it places buffers at offsets inside one dma-buf, but " + combined->planesAtStartBy +
				       " reads buffers only from offset 0");
				placementFailed = true;
				continue;
			}
			if (c.placement.contiguous && !a.contiguous) {
				reject("scattered pages, but " + joined(combined->contiguousBy, " and ") +
				       " needs physically contiguous memory");
				placementFailed = true;
				continue;
			}
			if (c.placement.cached && a.cached != *c.placement.cached) {
				reject(std::string(a.cached ? "cached" : "uncached") + " memory, but " + combined->cachedBy +
				       " needs " + (*c.placement.cached ? "cached" : "uncached"));
				placementFailed = true;
				continue;
			}
			if (c.placement.addressLimit && !(a.memoryEnd && a.memoryEnd <= c.placement.addressLimit)) {
				// Unless configuration says where a heap's memory ends: a scattered heap's
				// pages lie "somewhere in RAM"; a CMA area's range is not exported at all.
				if (a.contiguous || physicalTop == 0 || physicalTop > c.placement.addressLimit) {
					reject(physicalTop && !a.contiguous
						       ? "its pages may lie anywhere in RAM, which ends at " + hex(physicalTop) +
							 ", above the limit " + hex(c.placement.addressLimit) + " of " +
							 combined->addressLimitBy
						       : "cannot tell where its memory lies, so cannot promise the limit " +
							 hex(c.placement.addressLimit) + " of " + combined->addressLimitBy);
					addressFailed = true;
					continue;
				}
			}
			uint64_t modifier = pickModifier(usable);
			if (modifier == DRM_FORMAT_MOD_LINEAR) {
				auto layout = linearLayout(format, request.width, request.height, plan.linear);
				if (!layout) {
					reject(layout.error().message);
					continue;
				}
				if (c.maxStride && layout->planes[0].stride > c.maxStride) {
					reject(stringf("stride %u exceeds %u, the most %s takes", layout->planes[0].stride,
						       c.maxStride, combined->maxStrideBy.c_str()));
					continue;
				}
				if (a.maxSize && layout->size > a.maxSize) {
					reject(stringf("%llu bytes exceed its %llu", (unsigned long long)layout->size,
						       (unsigned long long)a.maxSize));
					continue;
				}
			}
			plan.format = format;
			plan.modifier = modifier;
			plan.allocator = a.name;
			for (const Rejection &r : tried)
				plan.trace.push_back("passed over " + r.subject + ": " + r.reason);
			plan.trace.push_back("chose " + formatName(format) + " with modifier " + modifierName(modifier) +
					     " from " + a.name + (a.contiguous ? " (contiguous)" : "") +
					     stringf(", stride aligned to %u", plan.linear.strideAlignment));
			if (c.placement.addressLimit)
				plan.trace.push_back((a.memoryEnd && a.memoryEnd <= c.placement.addressLimit
							      ? a.name + "'s memory ends at " + hex(a.memoryEnd) + " (configured)"
							      : "RAM ends at " + hex(physicalTop)) +
						     ", below the limit " + hex(c.placement.addressLimit) + " of " +
						     combined->addressLimitBy);
			return plan;
		}
	}

	std::string fix;
	const bool onlyCpu = std::none_of(allocators.begin(), allocators.end(),
					  [](const AllocatorInfo &a) { return a.deviceImportable; });
	if (onlyCpu)
		fix = "this machine offers no dma-buf memory (no /dev/dma_heap, /dev/udmabuf or DRM device hbm can use)";
	else if (formatFailed)
		fix = "the participants together take: " + c.formats.toString();
	else if (placementFailed && c.placement.contiguous)
		fix = "add a CMA heap (boot with cma=64M and CONFIG_DMABUF_HEAPS_CMA)";
	else if (addressFailed)
		fix = "provide a heap whose memory lies below " + hex(c.placement.addressLimit) +
		      " (a CMA area placed low, or a carve-out), or a machine whose RAM ends below it";
	else
		fix = "allow another allocator or format";
	return makeError(formatFailed ? ENOTSUP : ENOMEM, "no plan for %s: %s; to fix: %s", what.c_str(),
			 grouped(tried).c_str(), fix.c_str());
}

Result<void> checkAgainstStorage(const Participant &participant, const ExistingStorage &storage)
{
	const Constraints &c = participant.constraints;
	const Layout &l = storage.layout;
	const std::string who = participant.name;
	auto refuse = [&](const std::string &why) {
		return makeError(EINVAL, "%s cannot use this buffer: %s", who.c_str(), why.c_str());
	};
	if (!c.formats.contains(l.format, l.modifier))
		return refuse("it does not take " + formatName(l.format) + " with modifier " + modifierName(l.modifier) +
			      ", which the buffer already has (it takes " + c.formats.toString() + ")");
	if ((c.maxWidth && l.width > c.maxWidth) || (c.maxHeight && l.height > c.maxHeight))
		return refuse(stringf("%ux%u exceeds its %ux%u", l.width, l.height, c.maxWidth, c.maxHeight));
	if (c.planesAtStart && !l.planes.empty() && l.planes[0].offset != 0)
		return refuse(stringf("it reads buffers only from offset 0 of their dma-buf, and this one starts at %llu",
				      (unsigned long long)l.planes[0].offset));
	for (size_t i = 0; i < l.planes.size(); ++i) {
		const PlaneLayout &p = l.planes[i];
		if (p.stride % c.strideAlignment || p.offset % c.offsetAlignment)
			return refuse(stringf("plane %zu has stride %u and offset %llu; it needs multiples of %u and %u", i,
					      p.stride, (unsigned long long)p.offset, c.strideAlignment, c.offsetAlignment));
		if (c.maxStride && p.stride > c.maxStride)
			return refuse(stringf("plane %zu stride %u exceeds its %u", i, p.stride, c.maxStride));
	}
	const Placement &pp = c.placement;
	if (pp.contiguous && storage.contiguous != true)
		return refuse("it needs physically contiguous memory and the buffer's (" + storage.origin + ") " +
			      (storage.contiguous ? "is scattered" : "may not be"));
	if (pp.cached && storage.cached != pp.cached)
		return refuse(std::string("it needs ") + (*pp.cached ? "cached" : "uncached") + " memory and the buffer's (" +
			      storage.origin + ") is not known to be");
	if (pp.addressLimit && (storage.contiguous != false || storage.physicalTop == 0 ||
				storage.physicalTop > pp.addressLimit))
		return refuse("it reaches memory below " + hex(pp.addressLimit) + " only, and the buffer's (" + storage.origin +
			      ") cannot be shown to lie there");
	if (!pp.allowedAllocators.empty() &&
	    std::find(pp.allowedAllocators.begin(), pp.allowedAllocators.end(), storage.origin) == pp.allowedAllocators.end())
		return refuse("it allows only " + joined(pp.allowedAllocators) + ", and the buffer came from " + storage.origin);
	return {};
}

} // namespace hbm
