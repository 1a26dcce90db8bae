// SPDX-License-Identifier: MIT
#pragma once

#include <hbm/negotiation.hpp>

namespace hbm {

/// The only writer of Plan's fields: negotiation, and the context adding what
/// configuration decided to the trace.
struct PlanBuilder {
	static Plan make(uint32_t width, uint32_t height, uint32_t usage, uint32_t format, uint64_t modifier,
			 const LinearRules &linear, const Placement &placement, std::string allocator,
			 std::vector<std::string> trace)
	{
		Plan p;
		p.width_ = width;
		p.height_ = height;
		p.usage_ = usage;
		p.format_ = format;
		p.modifier_ = modifier;
		p.linear_ = linear;
		p.placement_ = placement;
		p.allocator_ = std::move(allocator);
		p.trace_ = std::move(trace);
		return p;
	}
	static void prependTrace(Plan &plan, std::string line) { plan.trace_.insert(plan.trace_.begin(), std::move(line)); }
};

} // namespace hbm
