// SPDX-License-Identifier: MIT
// The pool's refusal, reachable from the test that pins its sentence.
#pragma once

#include <hbm/pool.hpp>

namespace hbm {

/// EBUSY: every one of the pool's @buffers is in use, @occupancy says how.
Error poolExhausted(size_t buffers, const BufferPool::Occupancy &occupancy);

} // namespace hbm
