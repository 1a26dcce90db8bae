// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hbm/allocator.hpp>
#include <hbm/constraints.hpp>
#include <hbm/export.h>
#include <hbm/layout.hpp>
#include <hbm/result.hpp>

namespace hbm {

/// What the caller wants before devices have their say.
struct Request {
	uint32_t width = 0;
	uint32_t height = 0;
	std::vector<uint32_t> formats; ///< acceptable, in preference order
	uint32_t usage = 0;            ///< hbm::Usage bits
	/// A class of memory ("scanout", "video", "camera" …) whose configured allocators,
	/// in order, are the only ones tried; empty: any.
	std::string kind;
};

/// The negotiated result: one layout and placement every participant accepts, the
/// allocator to make it, and how it was chosen.
struct Plan {
	uint32_t width = 0;
	uint32_t height = 0;
	uint32_t usage = 0;
	uint32_t format = 0;
	uint64_t modifier = 0;
	LinearRules linear;          ///< alignments every participant accepts
	Placement placement;         ///< the combined placement
	std::string allocator;       ///< the chosen allocator's name
	std::vector<std::string> trace; ///< one line per decision, for logs and `hbm plan`
};

/// The participants' constraints combined: formats intersected, alignments by LCM, limits
/// by min, placement by the stricter of each field.
struct Combined {
	Constraints constraints;
	/// Who set each limit, for explanations: participant names.
	std::string maxWidthBy, maxHeightBy, maxStrideBy, addressLimitBy, cachedBy, planesAtStartBy;
	std::vector<std::string> contiguousBy;
	std::vector<std::string> trace;
};
HBM_EXPORT Result<Combined> combineConstraints(const std::vector<Participant> &participants);

/// Picks format, modifier, alignment and allocator for @request from what the
/// @participants accept and the @allocators declare (a pure function: no device is
/// touched). A refusal names the participants and the constraint none can meet, the
/// candidates tried and why each failed, and what would satisfy it.
/// @physicalTop is the highest physical address of system RAM (0: unknown), which decides
/// whether memory from a scattered heap can honour an address limit.
HBM_EXPORT Result<Plan> negotiate(const Request &request, const std::vector<Participant> &participants,
				  const std::vector<AllocatorInfo> &allocators, uint64_t physicalTop = 0);

} // namespace hbm
