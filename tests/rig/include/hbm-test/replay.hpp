// SPDX-License-Identifier: MIT
// Replaying a trace (HBM_TRACE, parsed by hbm::parseTrace) for latency and fragmentation:
// measurement for the hbm command and the benchmarks, not something programs using hbm need.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hbm/context.hpp>
#include <hbm/result.hpp>
#include <hbm/trace.hpp>

namespace hbm::test {

struct ReplayReport {
	std::string target;           ///< "best-fit region of 64 MiB", "dma-heap:system"
	size_t allocations = 0;
	size_t failures = 0;          ///< allocations that did not fit
	double medianAllocateNs = 0;
	double medianReleaseNs = 0;
	uint64_t freeAtEnd = 0;
	uint64_t largestFreeAtEnd = 0;
	double worstLargestFreeShare = 1; ///< min over the run of largest free / free (1: no fragmentation)
	double meanLargestFreeShare = 1;  ///< the same, averaged over every operation of the run
};

/// The median of @values (0 for none): what the replays report, and the benchmarks' medians
/// of single operations.
double median(std::vector<double> values);

/// @events are as parseTrace() gives them: it refuses a release of an id that is not live,
/// naming the line, so a release the replays skip is one whose allocation did not fit.

/// Replays @events on a simulated region of @regionSize bytes managed by @algorithm
/// ("best-fit", "first-fit"): no device is touched, sizes only.
Result<ReplayReport> replayOnRegion(const std::vector<TraceEvent> &events, const std::string &algorithm,
				    uint64_t regionSize);

/// Replays @events by allocating for real from @allocator of @context.
Result<ReplayReport> replayOnAllocator(Context &context, const std::vector<TraceEvent> &events,
				       const std::string &allocator);

} // namespace hbm::test
