// SPDX-License-Identifier: MIT
// Trace recording (HBM_TRACE) and parsing: the allocate/free sequence of any program using
// hbm (tests/rig replays it on a region algorithm or an allocator).
#include <hbm/trace.hpp>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.hpp"
#include "base/log.hpp"
#include "base/string_format.hpp"
#include "trace.hpp"

namespace hbm {

namespace trace {

namespace {

constexpr char kHeader[] = "hbm-trace 2\n";

LogCategory logTrace("trace");

/// Microseconds of CLOCK_MONOTONIC: one clock for every process recording to the file.
uint64_t nowUs()
{
	return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
				std::chrono::steady_clock::now().time_since_epoch())
				.count());
}

} // namespace

Recorder::Recorder(const char *path)
{
	if (!path || !*path)
		return;
	path_ = path;
	// Appended to, never truncated: every process using hbm with the same HBM_TRACE adds
	// its records, each line one write() that O_APPEND places whole at the end.
	UniqueFd fd(::open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
	if (!fd) {
		fail(makeError(errno, "cannot write the trace HBM_TRACE names (%s): open failed", path));
		return;
	}
	// The header only into an empty file, and only once: the lock makes looking and
	// writing one step for processes starting together. (Without the lock, two processes
	// starting together could both write the header: a nuisance, recording goes on.)
	while (::flock(fd.get(), LOCK_EX) != 0)
		if (errno != EINTR)
			break;
	// Why this file is not ours to record to, if it is not.
	const auto refusal = [&]() -> std::optional<Error> {
		struct stat st = {};
		if (::fstat(fd.get(), &st) != 0)
			return makeError(errno, "not recording to %s (HBM_TRACE): fstat failed", path);
		if (st.st_size == 0) {
			if (!writeLine(fd.get(), kHeader, sizeof(kHeader) - 1))
				return makeError(errno, "not recording to %s (HBM_TRACE): write of the header failed", path);
			return std::nullopt;
		}
		char head[sizeof(kHeader) - 1] = {};
		const ssize_t n = ::pread(fd.get(), head, sizeof(head), 0);
		if (n < 0)
			return makeError(errno, "not recording to %s (HBM_TRACE): pread of its header failed", path);
		if (n != ssize_t(sizeof(head)) || std::memcmp(head, kHeader, sizeof(head)) != 0)
			return makeError(EINVAL, "not recording to %s (HBM_TRACE): it holds something other than an "
					 "'%.*s' trace; name a new file",
					 path, int(sizeof(kHeader) - 2), kHeader);
		return std::nullopt;
	}();
	::flock(fd.get(), LOCK_UN);
	if (refusal)
		fail(std::move(*refusal));
	else
		fd_ = std::move(fd);
}

void Recorder::fail(Error error)
{
	std::lock_guard lock(failureLock_);
	if (failed_.load(std::memory_order_relaxed))
		return;
	// Through the log, like every other message: a compositor's handler gets it, and a
	// program that set none hears nothing it did not ask for (HBM_LOG=trace:error shows it).
	HBM_LOG(logTrace, Error, "%s", error.toString().c_str());
	failure_ = std::move(error);
	failed_.store(true, std::memory_order_release);
}

const Error *Recorder::failure() const
{
	return failed_.load(std::memory_order_acquire) ? &failure_ : nullptr;
}

bool Recorder::writeLine(int fd, const char *line, size_t length)
{
	ssize_t n;
	do
		n = ::write(fd, line, length);
	while (n < 0 && errno == EINTR);
	if (n >= 0 && size_t(n) != length)
		errno = EIO; // a short write: the line is cut, and that is all we know
	return n == ssize_t(length);
}

void Recorder::writeRecord(const char *line, size_t length)
{
	if (!writeLine(fd_.get(), line, length))
		fail(makeError(errno, "a record to %s (HBM_TRACE) was lost: write failed", path_.c_str()));
}

uint64_t Recorder::recordAllocate(uint32_t width, uint32_t height, uint32_t format, uint64_t size,
				  const std::string &allocator, uint64_t latencyNs)
{
	if (!fd_)
		return 0;
	const uint32_t pid = uint32_t(::getpid());
	const uint32_t id = nextId_++;
	char line[512];
	int length = std::snprintf(line, sizeof(line), "a %u %u %llu %u %u 0x%08x %llu %s %llu\n", pid, id,
				   (unsigned long long)nowUs(), width, height, format, (unsigned long long)size,
				   allocator.c_str(), (unsigned long long)latencyNs);
	if (length > 0 && size_t(length) < sizeof(line))
		writeRecord(line, size_t(length));
	return uint64_t(pid) << 32 | id;
}

void Recorder::recordRelease(uint64_t traceId)
{
	const uint32_t pid = uint32_t(traceId >> 32);
	// A buffer inherited across fork() is released in the child too: only the process that
	// recorded the allocation records its release.
	if (!fd_ || !traceId || pid != uint32_t(::getpid()))
		return;
	char line[64];
	int length = std::snprintf(line, sizeof(line), "f %u %u %llu\n", pid, uint32_t(traceId),
				   (unsigned long long)nowUs());
	if (length > 0 && size_t(length) < sizeof(line))
		writeRecord(line, size_t(length));
}

namespace {

Recorder &recorder()
{
	static Recorder r(std::getenv("HBM_TRACE"));
	return r;
}

} // namespace

bool recorderEnabled()
{
	return recorder().enabled();
}

uint64_t recordAllocate(uint32_t width, uint32_t height, uint32_t format, uint64_t size, const std::string &allocator,
			uint64_t latencyNs)
{
	return recorder().recordAllocate(width, height, format, size, allocator, latencyNs);
}

void recordRelease(uint64_t id)
{
	recorder().recordRelease(id);
}

} // namespace trace

namespace {

/// A field of a record as its number: decimal digits only (no sign, no spaces, nothing
/// after), or with @hex "0x" and hex digits; false if it is not one or does not fit @T.
template<typename T>
bool numberField(const std::string &field, T *out, bool hex = false)
{
	const char *begin = field.data(), *end = field.data() + field.size();
	if (hex) {
		if (field.size() < 3 || field[0] != '0' || (field[1] != 'x' && field[1] != 'X'))
			return false;
		begin += 2;
	}
	auto [ptr, ec] = std::from_chars(begin, end, *out, hex ? 16 : 10);
	return ec == std::errc() && ptr == end && begin != end;
}

} // namespace

Result<std::vector<TraceEvent>> parseTrace(std::string_view text)
{
	std::vector<TraceEvent> events;
	std::set<std::pair<uint32_t, uint64_t>> live; // (process, id) allocated and not yet released
	std::istringstream in{std::string(text)};
	std::string line;
	size_t number = 0;
	bool withPid = false; // version 2: every record names its process
	auto idName = [&](const TraceEvent &e) {
		return withPid ? stringf("%llu of process %u", (unsigned long long)e.id, e.pid)
			       : std::to_string(e.id);
	};
	while (std::getline(in, line)) {
		++number;
		if (number == 1) {
			if (line != "hbm-trace 1" && line != "hbm-trace 2")
				return makeError(EINVAL, "trace line 1: expected 'hbm-trace 2' (or 1), found %s", shown(line).c_str());
			withPid = line == "hbm-trace 2";
			continue;
		}
		if (line.empty())
			continue;
		// Fields are separated by blanks; each is read whole, so "64x" or "-1" is no
		// number and nothing may follow the last field.
		std::istringstream split(line);
		std::vector<std::string> fields;
		for (std::string field; split >> field;)
			fields.push_back(field);
		const std::string kind = fields.empty() ? "" : fields[0];
		TraceEvent e;
		const char *pid = withPid ? "PID " : "";
		const size_t first = withPid ? 2 : 1; // the ID field
		auto bad = [&](const char *name, size_t i) {
			return makeError(EINVAL, "trace line %zu: %s %s is not a%s number%s", number, name, shown(fields[i]).c_str(),
					 std::strcmp(name, "FOURCC") == 0 ? " hex" : "",
					 std::strcmp(name, "FOURCC") == 0 ? " (0x3231564e)" : " (decimal digits, in range)");
		};
		// PID (version 2), ID and TIME open every event.
		auto readOpening = [&]() -> Result<void> {
			if (withPid && !numberField(fields[1], &e.pid))
				return bad("PID", 1);
			if (!numberField(fields[first], &e.id))
				return bad("ID", first);
			if (!numberField(fields[first + 1], &e.timeUs))
				return bad("TIME", first + 1);
			return {};
		};
		if (kind == "a") {
			if (fields.size() != first + 8)
				return makeError(EINVAL,
						 "trace line %zu: an allocation needs %sID TIME WIDTH HEIGHT FOURCC SIZE ALLOCATOR LATENCY",
						 number, pid);
			if (auto opening = readOpening(); !opening)
				return opening.error();
			if (!numberField(fields[first + 2], &e.width))
				return bad("WIDTH", first + 2);
			if (!numberField(fields[first + 3], &e.height))
				return bad("HEIGHT", first + 3);
			if (!numberField(fields[first + 4], &e.format, true))
				return bad("FOURCC", first + 4);
			if (!numberField(fields[first + 5], &e.size) || e.size == 0)
				return makeError(EINVAL, "trace line %zu: SIZE %s is not a number of bytes above 0", number,
						 shown(fields[first + 5]).c_str());
			e.allocator = fields[first + 6];
			if (!isPrintable(e.allocator))
				return makeError(EINVAL, "trace line %zu: ALLOCATOR %s holds a control byte or is not UTF-8",
						 number, shown(e.allocator).c_str());
			if (!numberField(fields[first + 7], &e.latencyNs))
				return bad("LATENCY", first + 7);
			if (!live.emplace(e.pid, e.id).second)
				return makeError(EINVAL, "trace line %zu: allocation %s is already live", number,
						 idName(e).c_str());
		} else if (kind == "f") {
			e.allocate = false;
			if (fields.size() != first + 2)
				return makeError(EINVAL, "trace line %zu: a release needs %sID TIME", number, pid);
			if (auto opening = readOpening(); !opening)
				return opening.error();
			if (!live.erase({e.pid, e.id}))
				return makeError(EINVAL,
						 "trace line %zu: release of %s, which is not live (never allocated, or released already)",
						 number, idName(e).c_str());
		} else {
			return makeError(EINVAL, "trace line %zu: unknown event %s (a, f)", number, shown(kind).c_str());
		}
		events.push_back(std::move(e));
	}
	if (number == 0)
		return makeError(EINVAL, "the trace is empty: expected 'hbm-trace 2' (or 1)");
	return events;
}

} // namespace hbm
