// SPDX-License-Identifier: MIT
// Trace recording (HBM_TRACE) and replay: the allocate/free sequence of any program using
// hbm, replayed against a region algorithm or an allocator for latency and fragmentation.
#include <hbm/trace.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include <hbm/context.hpp>

#include "backends/region/range_allocator.hpp"
#include "error.hpp"
#include "trace.hpp"

namespace hbm {

namespace {

using Clock = std::chrono::steady_clock;

struct Recorder {
	std::mutex mutex;
	std::unique_ptr<FILE, int (*)(FILE *)> file{nullptr, std::fclose};
	uint64_t nextId = 1;
	Clock::time_point start = Clock::now();

	Recorder()
	{
		const char *path = std::getenv("HBM_TRACE");
		if (!path || !*path)
			return;
		file.reset(std::fopen(path, "we"));
		if (file)
			std::fprintf(file.get(), "hbm-trace 1\n");
		else
			std::fprintf(stderr, "hbm: cannot write the trace HBM_TRACE names (%s)\n", path);
	}
	uint64_t now() const
	{
		return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
	}
};

Recorder &recorder()
{
	static Recorder r;
	return r;
}

double median(std::vector<double> v)
{
	if (v.empty())
		return 0;
	std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
	return v[v.size() / 2];
}

} // namespace

namespace trace {

bool enabled()
{
	return recorder().file != nullptr;
}

uint64_t recordAllocate(uint32_t width, uint32_t height, uint32_t format, uint64_t size, const std::string &allocator,
			uint64_t latencyNs)
{
	Recorder &r = recorder();
	if (!r.file)
		return 0;
	std::lock_guard lock(r.mutex);
	uint64_t id = r.nextId++;
	std::fprintf(r.file.get(), "a %llu %llu %u %u 0x%08x %llu %s %llu\n", (unsigned long long)id,
		     (unsigned long long)r.now(), width, height, format, (unsigned long long)size, allocator.c_str(),
		     (unsigned long long)latencyNs);
	std::fflush(r.file.get());
	return id;
}

void recordRelease(uint64_t id)
{
	Recorder &r = recorder();
	if (!r.file || !id)
		return;
	std::lock_guard lock(r.mutex);
	std::fprintf(r.file.get(), "f %llu %llu\n", (unsigned long long)id, (unsigned long long)r.now());
	std::fflush(r.file.get());
}

} // namespace trace

Result<std::vector<TraceEvent>> parseTrace(std::string_view text)
{
	std::vector<TraceEvent> events;
	std::istringstream in{std::string(text)};
	std::string line;
	size_t number = 0;
	while (std::getline(in, line)) {
		++number;
		if (number == 1) {
			if (line != "hbm-trace 1")
				return makeError(EINVAL, "trace line 1: expected 'hbm-trace 1', found '%s'", line.c_str());
			continue;
		}
		if (line.empty())
			continue;
		std::istringstream fields(line);
		std::string kind;
		TraceEvent e;
		fields >> kind;
		if (kind == "a") {
			std::string fourcc;
			fields >> e.id >> e.timeUs >> e.width >> e.height >> fourcc >> e.size >> e.allocator >> e.latencyNs;
			e.format = uint32_t(std::strtoul(fourcc.c_str(), nullptr, 16));
			if (!fields || e.size == 0)
				return makeError(EINVAL, "trace line %zu: an allocation needs ID TIME WIDTH HEIGHT FOURCC SIZE ALLOCATOR LATENCY",
						 number);
		} else if (kind == "f") {
			e.allocate = false;
			fields >> e.id >> e.timeUs;
			if (!fields)
				return makeError(EINVAL, "trace line %zu: a release needs ID TIME", number);
		} else {
			return makeError(EINVAL, "trace line %zu: unknown event '%s' (a, f)", number, kind.c_str());
		}
		events.push_back(std::move(e));
	}
	if (number == 0)
		return makeError(EINVAL, "the trace is empty: expected 'hbm-trace 1'");
	return events;
}

Result<ReplayReport> replayOnRegion(const std::vector<TraceEvent> &events, const std::string &algorithm,
				    uint64_t regionSize)
{
	auto ranges = region::RangeAllocator::create(algorithm, regionSize);
	if (!ranges)
		return makeError(EINVAL, "unknown region algorithm '%s' (best-fit, first-fit)", algorithm.c_str());
	ReplayReport report;
	report.target = algorithm + " region of " + std::to_string(regionSize >> 20) + " MiB";
	std::map<uint64_t, uint64_t> live; // trace id -> offset
	std::vector<double> allocNs, releaseNs;
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
			live[e.id] = *offset;
		} else {
			auto it = live.find(e.id);
			if (it == live.end())
				continue; // its allocation did not fit
			auto t0 = Clock::now();
			ranges->release(it->second);
			releaseNs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
			live.erase(it);
		}
		if (ranges->freeBytes())
			report.worstLargestFreeShare = std::min(
				report.worstLargestFreeShare, double(ranges->largestFree()) / double(ranges->freeBytes()));
	}
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
	std::map<uint64_t, std::shared_ptr<Buffer>> live;
	std::vector<double> allocNs, releaseNs;
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
			live[e.id] = std::move(*buffer);
		} else {
			auto it = live.find(e.id);
			if (it == live.end())
				continue;
			auto t0 = Clock::now();
			live.erase(it);
			releaseNs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
		}
	}
	report.medianAllocateNs = median(allocNs);
	report.medianReleaseNs = median(releaseNs);
	return report;
}

} // namespace hbm
