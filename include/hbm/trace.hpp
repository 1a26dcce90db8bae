// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <hbm/export.h>
#include <hbm/result.hpp>

namespace hbm {

/// One allocation or release, as HBM_TRACE=FILE records them (the CMA RFC's test app).
/// Every process using hbm with the same HBM_TRACE appends to the file; each record names
/// its process, and TIME_US is CLOCK_MONOTONIC, one clock for all of them:
///   hbm-trace 2
///   a PID ID TIME_US WIDTH HEIGHT FOURCC SIZE ALLOCATOR LATENCY_NS
///   f PID ID TIME_US
/// Version 1 (one process, TIME_US from its start, no PID column) is still read.
struct TraceEvent {
	bool allocate = true;
	uint32_t pid = 0; ///< the recording process; 0 in a version 1 trace
	uint64_t id = 0;  ///< the allocation's number in its process
	uint64_t timeUs = 0;
	uint32_t width = 0, height = 0, format = 0;
	uint64_t size = 0;
	std::string allocator;
	uint64_t latencyNs = 0;
};

/// Parses a trace; errors name the line. Every release names a live allocation (allocated
/// earlier and not released since), and a live id is not allocated again: replays rely on
/// it. A pure function of its input. (The hbm command
/// replays traces on region algorithms and allocators.)
HBM_EXPORT Result<std::vector<TraceEvent>> parseTrace(std::string_view text);

} // namespace hbm
