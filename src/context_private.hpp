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
};

/// This machine's allocators in preference order, and notes on devices left out.
std::vector<std::unique_ptr<Allocator>> probeAllocators(std::vector<std::string> *notes);

} // namespace hbm
