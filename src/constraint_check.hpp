// SPDX-License-Identifier: MIT
// The one place constraints are validated, combined and checked against what an allocator
// can make or what existing storage is. Negotiation, a late attach and the allocator seam
// all ask checkCandidate(); each answer is a Rejection (data), rendered at the edge.
#pragma once

#include <cstdint>
#include <cerrno>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <hbm/allocator.hpp>
#include <hbm/constraints.hpp>
#include <hbm/format.hpp>
#include <hbm/layout.hpp>
#include <hbm/negotiation.hpp>
#include <hbm/participant.hpp>
#include <hbm/refusal.hpp>
#include <hbm/result.hpp>

#include "base/power_of_two.hpp"
#include "format_private.hpp"

#include "base/error.hpp"

namespace hbm {

/// The errno of "no plan exists for these participants" at every entry point (negotiate,
/// describe/attach, allocation of a description, pools, the C ABI): whatever stopped it
/// is in Error::refusal. EINVAL is kept for a malformed request or constraint, ENOMEM for
/// an allocation that really ran out of memory.
inline constexpr int kNoPlan = ENOTSUP;

/// THE alignment rule of a participant, a layout or configuration: a power of two from 1
/// to kMaxAlignment.
bool validAlignment(uint64_t alignment);

/// THE dimension rule: a width or height (or a limit on one) from 1 to kMaxDimension.
inline bool validDimension(uint64_t v)
{
	return v != 0 && v <= kMaxDimension;
}

/// Every usage bit hbm defines (enum Usage, enum hbm_usage).
inline constexpr uint32_t kKnownUsage =
	UsageScanout | UsageRender | UsageTexture | UsageCursor | UsageCpuRead | UsageCpuWrite;

/// validateRequest()'s Rejection{InvalidRequest} with its values (out of line and cold:
/// the request that needs one is rare).
[[gnu::cold]] std::optional<Rejection> invalidRequest(uint64_t value, uint64_t limit, uint32_t format = 0);

/// THE request rule: width and height 1 to kMaxDimension, at least one format, each one
/// hbm knows, usage bits of enum Usage only. The first fault as
/// Rejection{InvalidRequest} (see RejectReason::InvalidRequest for its fields), or nothing.
/// Inline: every allocation asks it, and a well-formed request builds nothing.
inline std::optional<Rejection> validateRequest(uint32_t width, uint32_t height, std::span<const uint32_t> formats,
						uint32_t usage)
{
	if (!validDimension(width) || !validDimension(height))
		return invalidRequest(uint64_t(width) << 32 | height, kMaxDimension);
	if (formats.empty())
		return invalidRequest(0, 0);
	for (uint32_t f : formats)
		if (!findFormatInline(f))
			return invalidRequest(0, 0, f);
	if (usage & ~kKnownUsage)
		return invalidRequest(usage, kKnownUsage);
	return std::nullopt;
}
std::optional<Rejection> validateRequest(const Request &request);

/// "1920x1080 XRGB8888 (XR24)": how a refusal or a log line names the image it is about.
std::string imageName(uint32_t width, uint32_t height, uint32_t fourcc);

/// A malformed request's error: EINVAL, refused with @rejection.
Error requestRefused(Rejection rejection);

/// Who set each combined limit.
struct SetBy {
	std::vector<ParticipantIdentity> maxWidth, maxHeight, maxStride, addressLimit, cached, planesAtStart,
		contiguous, localTo, strideAlignment, offsetAlignment, allowedAllocators;
	/// Who fixed constraints.fixedLayouts[i]; for a format fixed differently by
	/// several, every one of them (and the layout is in layoutsConflict).
	std::vector<std::vector<ParticipantIdentity>> fixedLayouts;
};

/// The participants' constraints combined: formats intersected, alignments by LCM, limits
/// by min, placement by the stricter of each field — and who set each.
struct Combined {
	Constraints constraints;
	bool anyFormat = true; ///< no participant: no format restriction
	SetBy setBy;
	std::vector<uint32_t> layoutsConflict; ///< formats participants fixed differently
	std::vector<std::string> trace;
};

/// Checks one participant's own constraints at the door: alignments (validAlignment()).
/// Everything else combines safely.
std::optional<Rejection> validateConstraints(const Constraints &constraints, const ParticipantIdentity &who);
inline std::optional<Rejection> validateConstraints(const Participant &participant)
{
	return validateConstraints(participant.constraints, participant.identity);
}

/// THE way one constraint set tightens another: @into takes @more's alignments (by LCM),
/// limits (by min) and placement (the stricter of each field), @who noted in @setBy where
/// it set something. Formats and fixed layouts are left alone (combineConstraints()
/// intersects them). A contradiction (cached vs uncached, disjoint allocators, memory of
/// two devices) is returned and leaves @into as it was.
std::optional<Rejection> tightenConstraints(Constraints &into, SetBy &setBy, const Constraints &more,
					    const ParticipantIdentity &who);

/// Validates and combines. A malformed constraint is refused with EINVAL, contradictions
/// between participants with kNoPlan; either with Error::refusal.
Result<Combined> combineConstraints(const std::vector<Participant> &participants);

/// What an allocator can make, or what an existing buffer is.
struct Capabilities {
	std::string origin;            ///< allocator name, "import", "received"
	/// What it can make: an allocator's declared set, borrowed from its AllocatorInfo (which
	/// outlives every check: no copy per allocation), or, for storage, its one pair.
	const FormatSet *formats = nullptr;
	uint32_t onlyFormat = 0;
	uint64_t onlyModifier = 0;
	bool deviceImportable = true;
	std::optional<bool> contiguous; ///< unknown for imported memory
	std::optional<bool> cached;
	uint64_t memoryEnd = 0;        ///< configured: its memory lies below (0: unknown)
	dev_t device = 0;              ///< the DRM device whose own memory it is (0: none)
	bool subAllocates = false;     ///< buffers at offsets inside one dma-buf
	uint64_t maxSize = 0;          ///< largest allocation (0: unknown)

	bool makes(uint32_t format, uint64_t modifier) const
	{
		return formats ? formats->contains(format, modifier) : format == onlyFormat && modifier == onlyModifier;
	}
};

Capabilities capabilitiesOf(const AllocatorInfo &info);

/// One candidate: a format and modifier, and the layout when it is known (linear plans,
/// existing storage).
struct Candidate {
	uint32_t width = 0;
	uint32_t height = 0;
	uint32_t format = 0;
	uint64_t modifier = 0;
	const Layout *layout = nullptr;
};

/// The layout a participant fixed for @format (Constraints::fixedLayouts), or nullptr.
const Layout *fixedLayout(const Combined &combined, uint32_t format);

/// The size limits alone (no allocator or format changes them).
std::optional<Rejection> checkSize(const Combined &combined, uint32_t width, uint32_t height);

/// THE check: whether @capabilities can honour @combined for @candidate. The first
/// objection, or nothing. @physicalTop is where system RAM ends (0: unknown).
std::optional<Rejection> checkCandidate(const Combined &combined, const Capabilities &capabilities,
					const Candidate &candidate, uint64_t physicalTop);

} // namespace hbm
