// SPDX-License-Identifier: MIT
// Negotiation inside the library: the pure function over a list of allocator facts, and
// what a Plan carries besides its public fields. Only a Context hands a plan out, bound
// to one of its allocators; tests and fuzzers call negotiate() on facts they make up.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <hbm/negotiation.hpp>

#include "constraint_check.hpp"

namespace hbm {

class Allocator;

/// What a plan was negotiated for, and what makes it.
struct PlanState {
	std::vector<Participant> participants; ///< as the caller gave them (Plan::participants())
	Combined combined;                     ///< their constraints, with the configuration's rules
	std::optional<Layout> layout;          ///< what the core laid out (Plan::layout())
	size_t allocatorIndex = 0;             ///< the chosen one, in the list negotiate() was given
	std::shared_ptr<Allocator> allocator;  ///< bound by the context that negotiated; null: unbound
	uint64_t physicalTop = 0;              ///< where RAM ended when it was negotiated
};

/// The only writer of Plan's fields: negotiation, and the context binding the plan to its
/// allocator and adding what configuration decided to the trace.
struct PlanBuilder {
	static Plan make(uint32_t width, uint32_t height, uint32_t usage, uint32_t format, uint64_t modifier,
			 const LinearRules &linear, const Placement &placement, std::string allocator,
			 std::vector<std::string> trace, std::shared_ptr<const PlanState> state)
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
		p.state_ = std::move(state);
		return p;
	}
	static const PlanState *state(const Plan &plan) { return plan.state_.get(); }
	/// Gives @plan, fresh from negotiate(), its allocator and the participants as given.
	static void bind(Plan &plan, std::shared_ptr<Allocator> allocator, std::vector<Participant> asGiven)
	{
		auto state = std::make_shared<PlanState>(*plan.state_);
		state->allocator = std::move(allocator);
		state->participants = std::move(asGiven);
		plan.state_ = std::move(state);
	}
	static void prependTrace(Plan &plan, std::string line) { plan.trace_.insert(plan.trace_.begin(), std::move(line)); }
};

/// Picks format, modifier, alignment and allocator for @request from what the
/// @participants accept and the @allocators declare (a pure function: no device is
/// touched). A refusal carries every rejection as data (Error::refusal): the reason, the
/// participants that set the limit, the values — and a sentence naming them and the fix.
/// @physicalTop is the highest physical address of system RAM (0: unknown), which decides
/// whether memory from a scattered heap can honour an address limit. The plan comes back
/// unbound (PlanState::allocator is null): only a context binds it to an allocator.
Result<Plan> negotiate(const Request &request, const std::vector<Participant> &participants,
		       const std::vector<AllocatorInfo> &allocators, uint64_t physicalTop = 0);

} // namespace hbm
