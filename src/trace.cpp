// SPDX-License-Identifier: MIT
// Trace recording (HBM_TRACE) and parsing: the allocate/free sequence of any program using
// hbm (tests/support replays it on a region algorithm or an allocator).
#include <hbm/trace.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

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
	std::set<uint64_t> live; // ids allocated and not yet released
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
			if (!live.insert(e.id).second)
				return makeError(EINVAL, "trace line %zu: allocation %llu is already live", number,
						 (unsigned long long)e.id);
		} else if (kind == "f") {
			e.allocate = false;
			fields >> e.id >> e.timeUs;
			if (!fields)
				return makeError(EINVAL, "trace line %zu: a release needs ID TIME", number);
			if (!live.erase(e.id))
				return makeError(EINVAL, "trace line %zu: release of %llu, which is not live (never allocated, or released already)",
						 number, (unsigned long long)e.id);
		} else {
			return makeError(EINVAL, "trace line %zu: unknown event '%s' (a, f)", number, kind.c_str());
		}
		events.push_back(std::move(e));
	}
	if (number == 0)
		return makeError(EINVAL, "the trace is empty: expected 'hbm-trace 1'");
	return events;
}

} // namespace hbm
