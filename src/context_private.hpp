// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <vector>

#include <hbm/context.hpp>

#include "backends/allocator.hpp"

namespace hbm {

struct ContextFactory {
	/// A context over exactly these allocators, in this order (tests: fakes at the seam).
	static std::shared_ptr<Context> create(std::vector<std::unique_ptr<Allocator>> allocators,
					       std::vector<std::string> notes = {});

	/// Allocates @plan for @participants (BufferDescription::allocate()), and checks what
	/// the allocator laid out against them.
	static Result<std::shared_ptr<Buffer>> allocatePlan(Context &context, const Plan &plan,
							    std::vector<Participant> participants);
};

/// This machine's allocators in preference order, and notes on devices left out.
std::vector<std::unique_ptr<Allocator>> probeAllocators(std::vector<std::string> *notes);

/// What @options name (probing when asked), in preference order.
Result<std::vector<std::unique_ptr<Allocator>>> openAllocators(const ContextOptions &options,
							       std::vector<std::string> *notes);


/// @participants with the configuration's device rules applied.
std::vector<Participant> applyRules(const Config &config, std::vector<Participant> participants);

} // namespace hbm
