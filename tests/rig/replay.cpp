// SPDX-License-Identifier: MIT
// Trace replay: the allocate/free sequence of any program using hbm, replayed against a
// region algorithm or an allocator for latency and fragmentation.
#include <hbm-test/replay.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <memory>

#include "backends/region/range_allocator.hpp"
#include "base/error.hpp"

namespace hbm::test {

namespace {

using Clock = std::chrono::steady_clock;

} // namespace

double median(std::vector<double> v)
{
	if (v.empty())
		return 0;
	std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
	return v[v.size() / 2];
}

Result<ReplayReport> replayOnRegion(const std::vector<TraceEvent> &events, const std::string &algorithm,
				    uint64_t regionSize)
{
	auto ranges = region::RangeAllocator::create(algorithm, regionSize);
	if (!ranges)
		return makeError(EINVAL, "unknown region algorithm '%s' (best-fit, first-fit)", algorithm.c_str());
	ReplayReport report;
	report.target = algorithm + " region of " +
			(regionSize % (1 << 20) ? std::to_string(regionSize) + " bytes"
						: std::to_string(regionSize >> 20) + " MiB");
	std::map<std::pair<uint32_t, uint64_t>, uint64_t> live; // (process, trace id) -> offset
	std::vector<double> allocNs, releaseNs;
	double shareSum = 0;
	size_t shareCount = 0;
	for (const TraceEvent &e : events) {
		if (e.allocate) {
			++report.allocations;
			uint64_t size = (e.size + 4095) & ~uint64_t(4095);
			auto t0 = Clock::now();
			auto offset = ranges->allocate(size, 4096);
			allocNs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
			if (!offset) {
				++report.failures;
				continue;
			}
			live[{e.pid, e.id}] = *offset;
		} else {
			auto it = live.find({e.pid, e.id});
			if (it == live.end())
				continue; // its allocation did not fit
			auto t0 = Clock::now();
			ranges->release(it->second);
			releaseNs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
			live.erase(it);
		}
		if (ranges->freeBytes()) {
			const double share = double(ranges->largestFree()) / double(ranges->freeBytes());
			report.worstLargestFreeShare = std::min(report.worstLargestFreeShare, share);
			shareSum += share;
			++shareCount;
		}
	}
	report.meanLargestFreeShare = shareCount ? shareSum / double(shareCount) : 1;
	report.medianAllocateNs = median(allocNs);
	report.medianReleaseNs = median(releaseNs);
	report.freeAtEnd = ranges->freeBytes();
	report.largestFreeAtEnd = ranges->largestFree();
	return report;
}

Result<ReplayReport> replayOnAllocator(Context &context, const std::vector<TraceEvent> &events,
				       const std::string &allocator)
{
	ReplayReport report;
	report.target = allocator;
	std::map<std::pair<uint32_t, uint64_t>, std::shared_ptr<Buffer>> live; // by (process, trace id)
	std::vector<double> allocNs, releaseNs;
	double shareSum = 0;
	size_t shareCount = 0;
	AllocationOptions options;
	options.allocator = allocator;
	options.allowCpuOnly = true;
	for (const TraceEvent &e : events) {
		if (e.allocate) {
			++report.allocations;
			auto t0 = Clock::now();
			auto buffer = context.allocate({e.width, e.height, e.format}, options);
			allocNs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
			if (!buffer) {
				if (buffer.error().code == ENOENT)
					return buffer.error();
				++report.failures;
				continue;
			}
			live[{e.pid, e.id}] = std::move(*buffer);
		} else {
			auto it = live.find({e.pid, e.id});
			if (it == live.end())
				continue;
			auto t0 = Clock::now();
			live.erase(it);
			releaseNs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
		}
	}
	report.meanLargestFreeShare = shareCount ? shareSum / double(shareCount) : 1;
	report.medianAllocateNs = median(allocNs);
	report.medianReleaseNs = median(releaseNs);
	return report;
}

} // namespace hbm::test
