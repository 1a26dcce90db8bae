// SPDX-License-Identifier: MIT
// libFuzzer target: parseTrace() (what `hbm replay` reads) on arbitrary text.
//
// Invariants, per input: no crash or undefined behaviour; a refusal is EINVAL with a
// printable sentence naming a line that exists ("trace line N: ", 1 <= N <= the lines
// given) or saying the trace is empty; an accepted trace keeps what the parser promises —
// every release names a live allocation (allocated earlier in its process, not released
// since), no live id is allocated again, every allocation has a size, a version 1 trace
// has no process ids — and reads back the same when written out again in the recorder's
// format (src/trace.cpp).
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <hbm/trace.hpp>

#include "fuzz_check.hpp"
#include "base/string_format.hpp"

using namespace hbm;
using namespace hbm::fuzz;

namespace {

/// Lines as std::getline() counts them: a last line without '\n' counts.
size_t lineCount(std::string_view text)
{
	size_t n = size_t(std::count(text.begin(), text.end(), '\n'));
	return n + (!text.empty() && text.back() != '\n');
}

void checkRefused(const Error &error, std::string_view text)
{
	checkRefusal(error);
	if (error.code != EINVAL)
		fail("trace refusal", "errno " + std::to_string(error.code) + ": " + error.message);
	if (error.message.rfind("the trace is empty", 0) == 0) {
		if (lineCount(text) != 0)
			fail("trace refusal", "called empty, but has lines: " + error.message);
		return;
	}
	unsigned long line = 0;
	if (std::sscanf(error.message.c_str(), "trace line %lu: ", &line) != 1)
		fail("trace refusal", "names no line: " + error.message);
	if (line == 0 || line > lineCount(text))
		fail("trace refusal", "names line " + std::to_string(line) + " of " + std::to_string(lineCount(text)) +
					      ": " + error.message);
}

/// The events written as the recorder writes them (version 2, or 1 without process ids).
std::string written(const std::vector<TraceEvent> &events, bool withPid)
{
	std::string out = withPid ? "hbm-trace 2\n" : "hbm-trace 1\n";
	for (const TraceEvent &e : events) {
		std::string pid = withPid ? std::to_string(e.pid) + " " : "";
		if (e.allocate)
			out += stringf("a %s%" PRIu64 " %" PRIu64 " %u %u 0x%08x %" PRIu64 " %s %" PRIu64 "\n",
				       pid.c_str(), e.id, e.timeUs, e.width, e.height, e.format, e.size,
				       e.allocator.c_str(), e.latencyNs);
		else
			out += stringf("f %s%" PRIu64 " %" PRIu64 "\n", pid.c_str(), e.id, e.timeUs);
	}
	return out;
}

bool same(const TraceEvent &a, const TraceEvent &b)
{
	return a.allocate == b.allocate && a.pid == b.pid && a.id == b.id && a.timeUs == b.timeUs &&
	       (!a.allocate || (a.width == b.width && a.height == b.height && a.format == b.format &&
				a.size == b.size && a.allocator == b.allocator && a.latencyNs == b.latencyNs));
}

void checkAccepted(const std::vector<TraceEvent> &events, std::string_view text)
{
	const bool withPid = text.rfind("hbm-trace 2", 0) == 0;
	std::set<std::pair<uint32_t, uint64_t>> live;
	for (size_t i = 0; i < events.size(); ++i) {
		const TraceEvent &e = events[i];
		const std::string which = "event " + std::to_string(i);
		if (!withPid && e.pid != 0)
			fail("trace", which + ": a process id in a version 1 trace");
		if (e.allocate) {
			if (e.size == 0)
				fail("trace", which + ": an allocation of 0 bytes was accepted");
			if (e.allocator.empty())
				fail("trace", which + ": an allocation without an allocator was accepted");
			if (!live.emplace(e.pid, e.id).second)
				fail("trace", which + ": allocates a live id again");
		} else if (!live.erase({e.pid, e.id})) {
			fail("trace", which + ": releases an id that is not live");
		}
	}
	auto back = parseTrace(written(events, withPid));
	if (!back)
		fail("trace", "written out again, it is refused: " + back.error().message);
	if (back->size() != events.size())
		fail("trace", "written out again, it has " + std::to_string(back->size()) + " events, not " +
				      std::to_string(events.size()));
	for (size_t i = 0; i < events.size(); ++i)
		if (!same(events[i], (*back)[i]))
			fail("trace", "written out again, event " + std::to_string(i) + " reads differently");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	auto events = parseTrace(text);
	if (events)
		checkAccepted(*events, text);
	else
		checkRefused(events.error(), text);
	return 0;
}
