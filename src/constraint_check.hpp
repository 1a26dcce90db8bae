// SPDX-License-Identifier: MIT
// The one place constraints are validated, combined and checked against what an allocator
// can make or what existing storage is. Negotiation, a late attach and the allocator seam
// all ask checkCandidate(); each answer is a Rejection (data), rendered at the edge.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <hbm/allocator.hpp>
#include <hbm/constraints.hpp>
#include <hbm/layout.hpp>
#include <hbm/participant.hpp>
#include <hbm/refusal.hpp>
#include <hbm/result.hpp>

namespace hbm {

/// The participants' constraints combined: formats intersected, alignments by LCM, limits
/// by min, placement by the stricter of each field — and who set each.
struct Combined {
	Constraints constraints;
	bool anyFormat = true; ///< no participant: no format restriction
	struct {
		std::vector<ParticipantIdentity> maxWidth, maxHeight, maxStride, addressLimit, cached, planesAtStart,
			contiguous, localTo, strideAlignment, offsetAlignment, allowedAllocators;
		/// Who fixed constraints.fixedLayouts[i]; for a format fixed differently by
		/// several, every one of them (and the layout is in layoutsConflict).
		std::vector<std::vector<ParticipantIdentity>> fixedLayouts;
	} setBy;
	std::vector<uint32_t> layoutsConflict; ///< formats participants fixed differently
	std::vector<std::string> trace;
};

/// Checks one participant's own constraints at the door: alignments 1 to kMaxAlignment and
/// powers of two. Everything else combines safely.
std::optional<Rejection> validateConstraints(const Participant &participant);

/// Validates and combines. Contradictions between participants (cached vs uncached,
/// disjoint allocators, memory of two different devices) are refused with Error::refusal.
Result<Combined> combineConstraints(const std::vector<Participant> &participants);

/// What an allocator can make, or what an existing buffer is.
struct Capabilities {
	std::string origin;            ///< allocator name, "import", "received"
	FormatSet formats;             ///< what it can make (storage: its one pair)
	bool deviceImportable = true;
	std::optional<bool> contiguous; ///< unknown for imported memory
	std::optional<bool> cached;
	uint64_t memoryEnd = 0;        ///< configured: its memory lies below (0: unknown)
	dev_t device = 0;              ///< the DRM device whose own memory it is (0: none)
	bool subAllocates = false;     ///< buffers at offsets inside one dma-buf
	uint64_t maxSize = 0;          ///< largest allocation (0: unknown)
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

/// An Error carrying @refusal, its sentence rendered once, here.
Error refusalError(int code, Refusal refusal);

} // namespace hbm
