// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>

namespace hbm::trace {

/// Whether HBM_TRACE names a file to record to (read once).
bool enabled();
/// Records an allocation; returns its id (0 when tracing is off).
uint64_t recordAllocate(uint32_t width, uint32_t height, uint32_t format, uint64_t size,
			const std::string &allocator, uint64_t latencyNs);
void recordRelease(uint64_t id);

} // namespace hbm::trace
