// SPDX-License-Identifier: MIT
// The shape of every alignment in hbm (bytes, ranges, layouts, participants' constraints):
// one test, used by the constraint rules (src/constraint_check.hpp: validAlignment()) and by
// allocators that align byte ranges.
#pragma once

#include <cstdint>

namespace hbm {

/// A power of two.
constexpr bool powerOfTwo(uint64_t v)
{
	// (v & (v - 1)) rather than std::has_single_bit: without -mpopcnt that is a libgcc call.
	return v != 0 && !(v & (v - 1));
}

} // namespace hbm
