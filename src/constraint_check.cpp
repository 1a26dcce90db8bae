// SPDX-License-Identifier: MIT
#include "constraint_check.hpp"

#include <algorithm>
#include <cerrno>
#include <numeric>

#include <drm_fourcc.h>

#include <hbm/format.hpp>

#include "base/string_format.hpp"

namespace hbm {

namespace {

Rejection rejection(RejectReason reason, std::vector<ParticipantIdentity> setBy, uint64_t value = 0, uint64_t limit = 0)
{
	Rejection r;
	r.reason = reason;
	r.setBy = std::move(setBy);
	r.value = value;
	r.limit = limit;
	return r;
}

/// Lowers (or sets) a limit, remembering who set it: the lower one wins, ties add a name.
template<typename T>
void lower(T &current, T offered, std::vector<ParticipantIdentity> &by, const ParticipantIdentity &who)
{
	if (!offered)
		return;
	if (!current || offered < current) {
		current = offered;
		by = {who};
	} else if (offered == current && (by.empty() || !(by.back() == who))) {
		by.push_back(who);
	}
}

/// Notes @who among those who set a field (once: a participant tightened twice is one).
void note(std::vector<ParticipantIdentity> &by, const ParticipantIdentity &who)
{
	if (by.empty() || !(by.back() == who))
		by.push_back(who);
}

} // namespace

bool validAlignment(uint64_t v)
{
	return powerOfTwo(v) && v <= kMaxAlignment;
}

std::optional<Rejection> invalidRequest(uint64_t value, uint64_t limit, uint32_t format)
{
	Rejection r = rejection(RejectReason::InvalidRequest, {}, value, limit);
	r.format = format;
	return r;
}

std::optional<Rejection> validateRequest(const Request &request)
{
	return validateRequest(request.width, request.height, request.formats, request.usage);
}

std::string imageName(uint32_t width, uint32_t height, uint32_t fourcc)
{
	return stringf("%ux%u %s", width, height, formatName(fourcc).c_str());
}

Error requestRefused(Rejection rejection)
{
	return refusalError(EINVAL, Refusal{"a malformed request", {std::move(rejection)}, {}});
}

std::optional<Rejection> validateConstraints(const Constraints &c, const ParticipantIdentity &who)
{
	for (uint32_t which : {0u, 1u}) {
		const uint32_t a = which == 0 ? c.strideAlignment : c.offsetAlignment;
		if (!validAlignment(a)) {
			Rejection r = rejection(RejectReason::InvalidConstraint, {who}, a, kMaxAlignment);
			r.plane = which;
			return r;
		}
	}
	return std::nullopt;
}

std::optional<Rejection> tightenConstraints(Constraints &c, SetBy &setBy, const Constraints &more,
					    const ParticipantIdentity &who)
{
	const Placement &pp = more.placement;
	Placement &place = c.placement;
	auto conflict = [&](RejectReason reason, const std::vector<ParticipantIdentity> &holders, uint64_t value,
			    uint64_t limit) {
		auto by = holders;
		note(by, who);
		return rejection(reason, std::move(by), value, limit);
	};
	// Contradictions first: a refusal changes nothing.
	if (pp.cached && place.cached && *place.cached != *pp.cached)
		return conflict(RejectReason::CachingConflict, setBy.cached, *pp.cached, *place.cached);
	if (pp.localTo && place.localTo && place.localTo != pp.localTo)
		return conflict(RejectReason::DevicesConflict, setBy.localTo, place.localTo, pp.localTo);
	std::vector<std::string> allowed;
	for (const std::string &a : pp.allowedAllocators)
		if (place.allowedAllocators.empty() ||
		    std::find(place.allowedAllocators.begin(), place.allowedAllocators.end(), a) != place.allowedAllocators.end())
			allowed.push_back(a);
	if (!pp.allowedAllocators.empty() && allowed.empty())
		return conflict(RejectReason::AllocatorsConflict, setBy.allowedAllocators, 0, 0);

	if (more.strideAlignment > 1)
		note(setBy.strideAlignment, who);
	if (more.offsetAlignment > 1)
		note(setBy.offsetAlignment, who);
	c.strideAlignment = std::lcm(c.strideAlignment, more.strideAlignment);
	c.offsetAlignment = std::lcm(c.offsetAlignment, more.offsetAlignment);
	lower(c.maxWidth, more.maxWidth, setBy.maxWidth, who);
	lower(c.maxHeight, more.maxHeight, setBy.maxHeight, who);
	lower(c.maxStride, more.maxStride, setBy.maxStride, who);
	if (more.planesAtStart) {
		c.planesAtStart = true;
		note(setBy.planesAtStart, who);
	}
	if (pp.contiguous) {
		place.contiguous = true;
		note(setBy.contiguous, who);
	}
	lower(place.addressLimit, pp.addressLimit, setBy.addressLimit, who);
	if (pp.cached) {
		place.cached = pp.cached;
		note(setBy.cached, who);
	}
	if (pp.localTo) {
		place.localTo = pp.localTo;
		note(setBy.localTo, who);
	}
	if (!pp.allowedAllocators.empty()) {
		place.allowedAllocators = std::move(allowed);
		note(setBy.allowedAllocators, who);
	}
	return std::nullopt;
}

Result<Combined> combineConstraints(const std::vector<Participant> &participants)
{
	Combined out;
	Constraints &c = out.constraints;
	auto refuse = [&](int code, Rejection r) {
		return refusalError(code, Refusal{"the participants cannot be combined", {std::move(r)}, {}});
	};
	for (const Participant &p : participants) {
		if (auto bad = validateConstraints(p))
			return refuse(EINVAL, *bad);
		const Constraints &pc = p.constraints;
		if (auto contradiction = tightenConstraints(c, out.setBy, pc, p.identity))
			return refuse(kNoPlan, *contradiction);
		c.formats = out.anyFormat ? pc.formats : c.formats.intersect(pc.formats);
		out.anyFormat = false;
		for (const Layout &fixed : pc.fixedLayouts) {
			auto same = std::find_if(c.fixedLayouts.begin(), c.fixedLayouts.end(),
						 [&](const Layout &l) { return l.format == fixed.format; });
			if (same == c.fixedLayouts.end()) {
				c.fixedLayouts.push_back(fixed);
				out.setBy.fixedLayouts.push_back({p.identity});
				continue;
			}
			out.setBy.fixedLayouts[size_t(same - c.fixedLayouts.begin())].push_back(p.identity);
			if (*same != fixed &&
			    std::find(out.layoutsConflict.begin(), out.layoutsConflict.end(), fixed.format) == out.layoutsConflict.end())
				out.layoutsConflict.push_back(fixed.format);
		}
		out.trace.push_back(p.name() + " (" + p.source + ")");
	}
	return out;
}

Capabilities capabilitiesOf(const AllocatorInfo &info)
{
	Capabilities c;
	c.origin = info.name;
	c.formats = &info.formats;
	c.deviceImportable = info.deviceImportable;
	c.contiguous = info.contiguous;
	c.cached = info.cached;
	c.memoryEnd = info.memoryEnd;
	c.device = info.drmDeviceId;
	c.subAllocates = info.subAllocates;
	c.maxSize = info.maxSize;
	return c;
}

const Layout *fixedLayout(const Combined &combined, uint32_t format)
{
	for (const Layout &l : combined.constraints.fixedLayouts)
		if (l.format == format)
			return &l;
	return nullptr;
}

namespace {

/// Whether @layout is the one @combined fixed for its format (if any): the first difference.
std::optional<Rejection> checkFixedLayout(const Combined &combined, const Candidate &candidate)
{
	const Layout *fixed = fixedLayout(combined, candidate.format);
	if (!fixed)
		return std::nullopt;
	const auto &who = combined.setBy.fixedLayouts[size_t(fixed - combined.constraints.fixedLayouts.data())];
	if (std::find(combined.layoutsConflict.begin(), combined.layoutsConflict.end(), candidate.format) !=
	    combined.layoutsConflict.end())
		return rejection(RejectReason::LayoutsConflict, who);
	auto dims = [](uint64_t w, uint64_t h) { return w << 32 | h; };
	if (candidate.width != fixed->width || candidate.height != fixed->height)
		return rejection(RejectReason::FixedSize, who, dims(candidate.width, candidate.height),
				 dims(fixed->width, fixed->height));
	const Layout *l = candidate.layout;
	if (!l) // a layout the allocator chooses (GBM, a modifier): checked once it exists
		return std::nullopt;
	for (size_t i = 0; i < fixed->planes.size() && i < l->planes.size(); ++i) {
		std::optional<Rejection> r;
		if (l->planes[i].stride != fixed->planes[i].stride)
			r = rejection(RejectReason::FixedStride, who, l->planes[i].stride, fixed->planes[i].stride);
		else if (l->planes[i].offset != fixed->planes[i].offset)
			r = rejection(RejectReason::FixedOffset, who, l->planes[i].offset, fixed->planes[i].offset);
		if (r) {
			r->plane = uint32_t(i);
			return r;
		}
	}
	if (l->size < fixed->size)
		return rejection(RejectReason::FixedTooSmall, who, l->size, fixed->size);
	return std::nullopt;
}

} // namespace

std::optional<Rejection> checkSize(const Combined &combined, uint32_t width, uint32_t height)
{
	const Constraints &c = combined.constraints;
	if (c.maxWidth && width > c.maxWidth)
		return rejection(RejectReason::WidthLimit, combined.setBy.maxWidth, width, c.maxWidth);
	if (c.maxHeight && height > c.maxHeight)
		return rejection(RejectReason::HeightLimit, combined.setBy.maxHeight, height, c.maxHeight);
	return std::nullopt;
}

std::optional<Rejection> checkCandidate(const Combined &combined, const Capabilities &cap, const Candidate &candidate,
					uint64_t physicalTop)
{
	const Constraints &c = combined.constraints;
	const Placement &want = c.placement;
	std::optional<Rejection> out;
	auto reject = [&](Rejection r) {
		r.allocator = cap.origin;
		r.format = candidate.format;
		r.modifier = candidate.modifier;
		r.hasModifier = true;
		out = std::move(r);
		return out;
	};

	if (!cap.deviceImportable)
		return reject(rejection(RejectReason::CpuOnly, {}));
	if (!combined.anyFormat && !c.formats.contains(candidate.format, candidate.modifier))
		return reject(rejection(RejectReason::FormatNotTaken, {}));
	if (!cap.makes(candidate.format, candidate.modifier))
		return reject(rejection(RejectReason::ModifierNotMade, {}));
	if (!want.allowedAllocators.empty() &&
	    std::find(want.allowedAllocators.begin(), want.allowedAllocators.end(), cap.origin) == want.allowedAllocators.end())
		return reject(rejection(RejectReason::AllocatorNotAllowed, combined.setBy.allowedAllocators));
	if (want.localTo && cap.device != want.localTo)
		return reject(rejection(RejectReason::NotDeviceLocal, combined.setBy.localTo, cap.device, want.localTo));
	if (c.planesAtStart) {
		if (candidate.layout && !candidate.layout->planes.empty() && candidate.layout->planes[0].offset != 0)
			return reject(rejection(RejectReason::NotAtStart, combined.setBy.planesAtStart,
						candidate.layout->planes[0].offset));
		if (cap.subAllocates)
			return reject(rejection(RejectReason::NotAtStart, combined.setBy.planesAtStart));
	}
	if (want.contiguous && cap.contiguous != true)
		return reject(rejection(RejectReason::NotContiguous, combined.setBy.contiguous, cap.contiguous.has_value()));
	if (want.cached && cap.cached != want.cached)
		return reject(rejection(RejectReason::CachingMismatch, combined.setBy.cached, cap.cached.value_or(!*want.cached),
					*want.cached));
	if (want.addressLimit) {
		// Configuration may say where a heap's memory ends. Otherwise a scattered heap's
		// pages lie "somewhere in RAM" (below its end); a CMA area's range is not exported.
		const bool configured = cap.memoryEnd && cap.memoryEnd <= want.addressLimit;
		const bool belowRamTop = cap.contiguous == false && physicalTop && physicalTop <= want.addressLimit;
		if (!configured && !belowRamTop)
			return reject(rejection(RejectReason::AddressLimit, combined.setBy.addressLimit,
						cap.memoryEnd ? cap.memoryEnd : (cap.contiguous == false ? physicalTop : 0),
						want.addressLimit));
	}
	if (auto size = checkSize(combined, candidate.width, candidate.height))
		return reject(*size);
	if (auto fixed = checkFixedLayout(combined, candidate))
		return reject(*fixed);
	if (const Layout *l = candidate.layout) {
		for (size_t i = 0; i < l->planes.size(); ++i) {
			const PlaneLayout &p = l->planes[i];
			std::optional<Rejection> r;
			if (p.stride % c.strideAlignment)
				r = rejection(RejectReason::StrideAlignment, combined.setBy.strideAlignment, p.stride,
					      c.strideAlignment);
			else if (p.offset % c.offsetAlignment)
				r = rejection(RejectReason::OffsetAlignment, combined.setBy.offsetAlignment, p.offset,
					      c.offsetAlignment);
			else if (c.maxStride && p.stride > c.maxStride)
				r = rejection(RejectReason::StrideLimit, combined.setBy.maxStride, p.stride, c.maxStride);
			if (r) {
				r->plane = uint32_t(i);
				return reject(*r);
			}
		}
		if (cap.maxSize && l->size > cap.maxSize)
			return reject(rejection(RejectReason::SizeLimit, {}, l->size, cap.maxSize));
	}
	return std::nullopt;
}

} // namespace hbm
