// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hbm/allocator.hpp>
#include <hbm/constraints.hpp>
#include <hbm/export.h>
#include <hbm/layout.hpp>
#include <hbm/participant.hpp>
#include <hbm/refusal.hpp>
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
/// allocator to make it, and how it was chosen. Only negotiation makes one: a caller can
/// read a plan and hand it back, not forge or edit it.
class HBM_EXPORT Plan
{
public:
	/// An empty plan, which no allocator accepts.
	Plan() = default;

	uint32_t width() const { return width_; }
	uint32_t height() const { return height_; }
	uint32_t usage() const { return usage_; }
	uint32_t format() const { return format_; }
	uint64_t modifier() const { return modifier_; }
	/// Alignments every participant accepts, for linear layouts.
	const LinearRules &linear() const { return linear_; }
	/// The combined placement.
	const Placement &placement() const { return placement_; }
	/// The chosen allocator's name.
	const std::string &allocator() const { return allocator_; }
	/// One line per decision, for logs and `hbm plan`.
	const std::vector<std::string> &trace() const { return trace_; }

private:
	friend struct PlanBuilder;
	uint32_t width_ = 0;
	uint32_t height_ = 0;
	uint32_t usage_ = 0;
	uint32_t format_ = 0;
	uint64_t modifier_ = 0;
	LinearRules linear_;
	Placement placement_;
	std::string allocator_;
	std::vector<std::string> trace_;
};

/// Picks format, modifier, alignment and allocator for @request from what the
/// @participants accept and the @allocators declare (a pure function: no device is
/// touched). A refusal carries every rejection as data (Error::refusal): the reason, the
/// participants that set the limit, the values — and a sentence naming them and the fix.
/// @physicalTop is the highest physical address of system RAM (0: unknown), which decides
/// whether memory from a scattered heap can honour an address limit.
HBM_EXPORT Result<Plan> negotiate(const Request &request, const std::vector<Participant> &participants,
				  const std::vector<AllocatorInfo> &allocators, uint64_t physicalTop = 0);

} // namespace hbm
