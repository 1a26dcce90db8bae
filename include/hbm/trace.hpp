// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <hbm/export.h>
#include <hbm/result.hpp>

namespace hbm {

class Context;

/// One allocation or release, as HBM_TRACE=FILE records them (the CMA RFC's test app):
///   hbm-trace 1
///   a ID TIME_US WIDTH HEIGHT FOURCC SIZE ALLOCATOR LATENCY_NS
///   f ID TIME_US
struct TraceEvent {
	bool allocate = true;
	uint64_t id = 0;
	uint64_t timeUs = 0;
	uint32_t width = 0, height = 0, format = 0;
	uint64_t size = 0;
	std::string allocator;
	uint64_t latencyNs = 0;
};

/// Parses a trace; errors name the line. A pure function of its input.
HBM_EXPORT Result<std::vector<TraceEvent>> parseTrace(std::string_view text);

struct ReplayReport {
	std::string target;           ///< "best-fit region of 64 MiB", "dma-heap:system"
	size_t allocations = 0;
	size_t failures = 0;          ///< allocations that did not fit
	double medianAllocateNs = 0;
	double medianReleaseNs = 0;
	uint64_t freeAtEnd = 0;
	uint64_t largestFreeAtEnd = 0;
	double worstLargestFreeShare = 1; ///< min over the run of largest free / free (1: no fragmentation)
};

/// Replays @events on a simulated region of @regionSize bytes managed by @algorithm
/// ("best-fit", "first-fit"): no device is touched, sizes only.
HBM_EXPORT Result<ReplayReport> replayOnRegion(const std::vector<TraceEvent> &events, const std::string &algorithm,
					       uint64_t regionSize);

/// Replays @events by allocating for real from @allocator of @context.
HBM_EXPORT Result<ReplayReport> replayOnAllocator(Context &context, const std::vector<TraceEvent> &events,
						  const std::string &allocator);

} // namespace hbm
