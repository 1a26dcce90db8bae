// SPDX-License-Identifier: MIT
#include "constraint_check.hpp"

#include <algorithm>
#include <cerrno>
#include <numeric>

#include <drm_fourcc.h>

#include "string_format.hpp"

namespace hbm {

namespace {

bool validAlignment(uint32_t v)
{
	return v != 0 && v <= kMaxAlignment && !(v & (v - 1));
}

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
void tighten(T &current, T offered, std::vector<ParticipantIdentity> &by, const ParticipantIdentity &who)
{
	if (!offered)
		return;
	if (!current || offered < current) {
		current = offered;
		by = {who};
	} else if (offered == current) {
		by.push_back(who);
	}
}

} // namespace

std::optional<Rejection> validateConstraints(const Participant &participant)
{
	const Constraints &c = participant.constraints;
	for (uint32_t which : {0u, 1u}) {
		const uint32_t a = which == 0 ? c.strideAlignment : c.offsetAlignment;
		if (!validAlignment(a)) {
			Rejection r = rejection(RejectReason::InvalidConstraint, {participant.identity}, a, kMaxAlignment);
			r.plane = which;
			return r;
		}
	}
	return std::nullopt;
}

Result<Combined> combineConstraints(const std::vector<Participant> &participants)
{
	Combined out;
	Constraints &c = out.constraints;
	auto refuse = [&](Rejection r) {
		return refusalError(EINVAL, Refusal{"the participants cannot be combined", {std::move(r)}, {}});
	};
	for (const Participant &p : participants) {
		if (auto bad = validateConstraints(p))
			return refuse(*bad);
		const Constraints &pc = p.constraints;
		c.formats = out.anyFormat ? pc.formats : c.formats.intersect(pc.formats);
		out.anyFormat = false;
		if (pc.strideAlignment > 1)
			out.setBy.strideAlignment.push_back(p.identity);
		if (pc.offsetAlignment > 1)
			out.setBy.offsetAlignment.push_back(p.identity);
		c.strideAlignment = std::lcm(c.strideAlignment, pc.strideAlignment);
		c.offsetAlignment = std::lcm(c.offsetAlignment, pc.offsetAlignment);
		tighten(c.maxWidth, pc.maxWidth, out.setBy.maxWidth, p.identity);
		tighten(c.maxHeight, pc.maxHeight, out.setBy.maxHeight, p.identity);
		tighten(c.maxStride, pc.maxStride, out.setBy.maxStride, p.identity);
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
		if (pc.planesAtStart) {
			c.planesAtStart = true;
			out.setBy.planesAtStart.push_back(p.identity);
		}

		const Placement &pp = pc.placement;
		if (pp.contiguous) {
			c.placement.contiguous = true;
			out.setBy.contiguous.push_back(p.identity);
		}
		tighten(c.placement.addressLimit, pp.addressLimit, out.setBy.addressLimit, p.identity);
		if (pp.cached) {
			if (c.placement.cached && *c.placement.cached != *pp.cached) {
				auto who = out.setBy.cached;
				who.push_back(p.identity);
				return refuse(rejection(RejectReason::CachingConflict, who, *pp.cached, *c.placement.cached));
			}
			c.placement.cached = pp.cached;
			out.setBy.cached.push_back(p.identity);
		}
		if (pp.localTo) {
			if (c.placement.localTo && c.placement.localTo != pp.localTo) {
				auto who = out.setBy.localTo;
				who.push_back(p.identity);
				return refuse(rejection(RejectReason::DevicesConflict, who, c.placement.localTo, pp.localTo));
			}
			c.placement.localTo = pp.localTo;
			out.setBy.localTo.push_back(p.identity);
		}
		if (!pp.allowedAllocators.empty()) {
			std::vector<std::string> both;
			for (const std::string &a : pp.allowedAllocators)
				if (c.placement.allowedAllocators.empty() ||
				    std::find(c.placement.allowedAllocators.begin(), c.placement.allowedAllocators.end(), a) !=
					    c.placement.allowedAllocators.end())
					both.push_back(a);
			out.setBy.allowedAllocators.push_back(p.identity);
			if (both.empty())
				return refuse(rejection(RejectReason::AllocatorsConflict, out.setBy.allowedAllocators));
			c.placement.allowedAllocators = both;
		}
		out.trace.push_back(p.name() + " (" + p.source + ")");
	}
	return out;
}

Capabilities capabilitiesOf(const AllocatorInfo &info)
{
	Capabilities c;
	c.origin = info.name;
	c.formats = info.formats;
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
	if (!cap.formats.contains(candidate.format, candidate.modifier))
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

Error refusalError(int code, Refusal refusal)
{
	Error e;
	e.code = code;
	e.message = refusal.toString();
	e.refusal = std::make_shared<const Refusal>(std::move(refusal));
	return e;
}

} // namespace hbm
