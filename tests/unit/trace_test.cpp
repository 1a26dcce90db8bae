// SPDX-License-Identifier: MIT
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <set>
#include <sstream>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/trace.hpp>
#include <hbm-test/replay.hpp>
#include <hbm-test/synthetic_trace.hpp>

#include "base/log.hpp"
#include "trace.hpp"

using namespace hbm;

using hbm::test::replayOnRegion;
using hbm::test::syntheticTrace;

TEST(Trace, ParsesAndNamesBadLines)
{
	auto events = parseTrace("hbm-trace 1\na 1 10 1920 1080 0x3231564e 3110400 dma-heap:system 5000\nf 1 20\n");
	ASSERT_TRUE(events) << events.error().message;
	ASSERT_EQ(events->size(), 2u);
	EXPECT_EQ((*events)[0].format, DRM_FORMAT_NV12);
	EXPECT_EQ((*events)[0].allocator, "dma-heap:system");
	EXPECT_FALSE((*events)[1].allocate);

	auto header = parseTrace("trace 2\n");
	ASSERT_FALSE(header);
	EXPECT_NE(header.error().message.find("expected 'hbm-trace 2' (or 1)"), std::string::npos);
	auto bad = parseTrace("hbm-trace 1\na 1 10\n");
	ASSERT_FALSE(bad);
	EXPECT_NE(bad.error().message.find("trace line 2"), std::string::npos) << bad.error().message;
	auto kind = parseTrace("hbm-trace 1\nx 1 2\n");
	ASSERT_FALSE(kind);
	EXPECT_NE(kind.error().message.find("unknown event 'x'"), std::string::npos);
}

// Found by fuzz_trace (tests/fuzz/crashes/trace/): the header line and an unknown event
// were echoed raw, so a control byte or a stray byte of another encoding reached the
// terminal or log that shows the error.
TEST(Trace, RefusalsQuoteTheInputPrintably)
{
	auto control = parseTrace(std::string("\x01\0\0\0\n", 5));
	ASSERT_FALSE(control);
	EXPECT_EQ(control.error().message, "trace line 1: expected 'hbm-trace 2' (or 1), found '\\x01\\x00\\x00\\x00'");
	auto crlf = parseTrace("hbm-trace 2\r\n");
	ASSERT_FALSE(crlf);
	EXPECT_NE(crlf.error().message.find("found 'hbm-trace 2\\x0d'"), std::string::npos) << crlf.error().message;
	auto raw = parseTrace("hbm-trace 2\n\xff\xfe\xc3\xa9 1 2\n");
	ASSERT_FALSE(raw);
	EXPECT_EQ(raw.error().message, "trace line 2: unknown event '\\xff\\xfe\xc3\xa9' (a, f)") << "valid UTF-8 (é) stays";
	auto longLine = parseTrace(std::string(100000, 'x') + "\n");
	ASSERT_FALSE(longLine);
	EXPECT_LT(longLine.error().message.size(), 200u) << "a long line is cut, not echoed whole";
}

// Found by fuzz_trace (tests/fuzz/crashes/trace/): fields were read by istream, so a
// FOURCC of garbage read as 0, "64hbm" as 64 and the rest as the next field, "-1" wrapped,
// anything after the last field was ignored and an allocator name could hold NUL bytes —
// accepted traces that did not say what their text said, and did not read back the same.
TEST(Trace, EveryFieldIsReadWholeOrRefused)
{
	auto refused = [](const std::string &record, const std::string &what) {
		auto events = parseTrace("hbm-trace 2\n" + record + "\n");
		ASSERT_FALSE(events) << record;
		EXPECT_EQ(events.error().code, EINVAL);
		EXPECT_EQ(events.error().message.rfind("trace line 2: ", 0), 0u) << events.error().message;
		EXPECT_NE(events.error().message.find(what), std::string::npos) << events.error().message;
	};
	refused("a 1 2 10 64 64 hbm-trace 2 dma-heap:system 5000", "FOURCC 'hbm-trace' is not a hex number");
	refused("a 1 2 10 64 64hbm 0x34325258 16384 dma-heap:system 5000", "HEIGHT '64hbm' is not a number");
	refused("a 1 2 10 64x 64 0x34325258 16384 dma-heap:system 5000", "WIDTH '64x' is not a number");
	refused("a 1 -1 10 64 64 0x34325258 16384 dma-heap:system 5000", "ID '-1' is not a number");
	refused("a 1 2 10 4294967296 64 0x34325258 16384 dma-heap:system 5000", "WIDTH '4294967296' is not a number");
	refused("a 1 2 10 64 64 0x134325258 16384 dma-heap:system 5000", "FOURCC '0x134325258'");
	refused("a 1 2 10 64 64 0x34325258 16384 dma-heap:system 5000 extra", "an allocation needs PID ID");
	refused("a 1 2 10 64 64 0x34325258 0 dma-heap:system 5000", "SIZE '0' is not a number of bytes above 0");
	refused("a 1 2 10 64 64 0x34325258 16384 dma-heap:sys\x01tem 5000", "ALLOCATOR 'dma-heap:sys\\x01tem' holds a control byte");
	refused("a 1 2 10 64 64 0x34325258 16384 " + std::string(4, '\0') + " 5000", "ALLOCATOR '\\x00\\x00\\x00\\x00'");
	refused("f 1 2 +20", "TIME '+20' is not a number");
	refused("f 1 2 20 30", "a release needs PID ID TIME");

	auto ok = parseTrace("hbm-trace 2\na 7 1 10 64 64 0X34325258 16384 region:cam\xc3\xa9ra 5000\nf 7 1 20\n");
	ASSERT_TRUE(ok) << ok.error().message;
	EXPECT_EQ((*ok)[0].format, DRM_FORMAT_XRGB8888);
	EXPECT_EQ((*ok)[0].allocator, "region:cam\xc3\xa9ra") << "a region's name may be any text";
}

TEST(Trace, EveryReleaseNamesALiveAllocation)
{
	const std::string alloc = " 10 64 64 0x34325258 16384 dma-heap:system 5000\n";
	auto never = parseTrace("hbm-trace 1\na 1" + alloc + "f 2 20\n");
	ASSERT_FALSE(never);
	EXPECT_NE(never.error().message.find("trace line 3: release of 2, which is not live"), std::string::npos)
		<< never.error().message;
	auto twice = parseTrace("hbm-trace 1\na 1" + alloc + "f 1 20\nf 1 30\n");
	ASSERT_FALSE(twice);
	EXPECT_NE(twice.error().message.find("trace line 4: release of 1"), std::string::npos) << twice.error().message;
	auto again = parseTrace("hbm-trace 1\na 1" + alloc + "a 1" + alloc);
	ASSERT_FALSE(again);
	EXPECT_NE(again.error().message.find("trace line 3: allocation 1 is already live"), std::string::npos)
		<< again.error().message;
	EXPECT_TRUE(parseTrace("hbm-trace 1\na 1" + alloc + "f 1 20\na 1" + alloc)) << "an id may come back once released";
}

TEST(Trace, Version2NamesTheProcessOfEveryRecord)
{
	const std::string alloc = " 10 64 64 0x34325258 16384 dma-heap:system 5000\n";
	auto events = parseTrace("hbm-trace 2\na 100 1" + alloc + "a 200 1" + alloc + "f 200 1 20\nf 100 1 30\n");
	ASSERT_TRUE(events) << events.error().message;
	ASSERT_EQ(events->size(), 4u);
	EXPECT_EQ((*events)[1].pid, 200u);
	EXPECT_EQ((*events)[1].id, 1u);
	EXPECT_EQ((*events)[3].pid, 100u);
	EXPECT_EQ((*events)[0].size, 16384u);

	auto foreign = parseTrace("hbm-trace 2\na 100 1" + alloc + "f 200 1 20\n");
	ASSERT_FALSE(foreign);
	EXPECT_NE(foreign.error().message.find("trace line 3: release of 1 of process 200, which is not live"),
		  std::string::npos)
		<< foreign.error().message;
	auto short_ = parseTrace("hbm-trace 2\nf 1 20\n");
	ASSERT_FALSE(short_);
	EXPECT_NE(short_.error().message.find("a release needs PID ID TIME"), std::string::npos) << short_.error().message;
}

namespace {

std::string readFile(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream text;
	text << in.rdbuf();
	return text.str();
}

} // namespace

// Regression: HBM_TRACE was opened with truncation by every process, so three processes
// tracing to one file left one allocation (and, racing, torn lines).
TEST(Trace, ProcessesRecordingTogetherKeepEveryRecord)
{
	char dir[] = "/tmp/hbm-trace-XXXXXX";
	ASSERT_TRUE(::mkdtemp(dir));
	const std::string path = std::string(dir) + "/trace";
	constexpr int kProcesses = 3, kBuffers = 200;
	std::vector<pid_t> children;
	for (int p = 0; p < kProcesses; ++p) {
		pid_t child = ::fork();
		ASSERT_GE(child, 0);
		if (child == 0) {
			trace::Recorder recorder(path.c_str());
			std::vector<uint64_t> ids;
			for (int i = 0; i < kBuffers; ++i)
				ids.push_back(recorder.recordAllocate(64, 64, DRM_FORMAT_XRGB8888, 16384, "dma-heap:system", 1000));
			for (uint64_t id : ids)
				recorder.recordRelease(id);
			::_exit(recorder.enabled() ? 0 : 1);
		}
		children.push_back(child);
	}
	for (pid_t child : children) {
		int status = 0;
		ASSERT_EQ(::waitpid(child, &status, 0), child);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	const std::string text = readFile(path);
	auto events = parseTrace(text);
	ASSERT_TRUE(events) << events.error().message;
	EXPECT_EQ(events->size(), size_t(2 * kProcesses * kBuffers));
	std::set<uint32_t> pids;
	for (const TraceEvent &e : *events)
		pids.insert(e.pid);
	EXPECT_EQ(pids.size(), size_t(kProcesses));
	EXPECT_EQ(text.find("hbm-trace", 1), std::string::npos) << "one header";

	// A file holding something else (a version 1 trace) is left alone.
	const std::string old = "hbm-trace 1\na 1 10 64 64 0x34325258 16384 dma-heap:system 5000\n";
	std::ofstream(path, std::ios::trunc) << old;
	// Said through the log handler, never printed behind its back.
	std::vector<std::string> logged;
	setLogSink([&](const LogCategory &c, LogLevel level, const std::string &message) {
		if (std::string(c.name()) == "trace" && level == LogLevel::Error)
			logged.push_back(message);
	});
	setLogRules({{"trace", LogLevel::Error}});
	const int stderrCopy = ::dup(STDERR_FILENO);
	FILE *captured = std::tmpfile();
	ASSERT_NE(captured, nullptr);
	::dup2(::fileno(captured), STDERR_FILENO);
	trace::Recorder refused(path.c_str());
	::dup2(stderrCopy, STDERR_FILENO);
	::close(stderrCopy);
	setLogRules({});
	setLogSink({});
	struct stat written = {};
	ASSERT_EQ(::fstat(::fileno(captured), &written), 0);
	EXPECT_EQ(written.st_size, 0) << "the recorder wrote to stderr";
	std::fclose(captured);
	ASSERT_EQ(logged.size(), 1u);
	EXPECT_NE(logged[0].find("not recording to " + path + " (HBM_TRACE)"), std::string::npos) << logged[0];
	ASSERT_NE(refused.failure(), nullptr);
	EXPECT_EQ(refused.failure()->code, EINVAL);
	EXPECT_FALSE(refused.enabled());
	EXPECT_EQ(refused.recordAllocate(64, 64, DRM_FORMAT_XRGB8888, 16384, "memfd", 1), 0u);
	EXPECT_EQ(readFile(path), old);
	::unlink(path.c_str());
	::rmdir(dir);
}

TEST(Trace, ReplayOnRegionsReportsLatencyAndFragmentation)
{
	auto events = parseTrace(syntheticTrace(7, 4000));
	ASSERT_TRUE(events);
	auto best = replayOnRegion(*events, "best-fit", 128ull << 20);
	auto first = replayOnRegion(*events, "first-fit", 128ull << 20);
	ASSERT_TRUE(best && first);
	EXPECT_EQ(best->allocations, first->allocations);
	EXPECT_GT(best->allocations, 1000u);
	EXPECT_GT(best->medianAllocateNs, 0);
	EXPECT_GT(best->worstLargestFreeShare, 0.0);
	EXPECT_LE(best->worstLargestFreeShare, 1.0);
	EXPECT_EQ(best->target, "best-fit region of 128 MiB");

	auto unknown = replayOnRegion(*events, "worst-fit", 1 << 20);
	ASSERT_FALSE(unknown);
	EXPECT_NE(unknown.error().message.find("unknown region algorithm 'worst-fit'"), std::string::npos);
}
