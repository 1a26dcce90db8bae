// SPDX-License-Identifier: MIT
// Writes fuzz_trace's seed corpus: traces recorded by the real recorder (HBM_TRACE's
// trace::Recorder), by one process and by two appending to one file, plus a version 1
// trace and the malformed traces tests/unit/trace_test.cpp refuses.
//
//     hbm-fuzz-trace-seeds tests/fuzz/corpus/trace
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "fuzz_check.hpp"
#include "trace.hpp"

using namespace hbm;

namespace {

/// A compositor-like sequence: a swapchain of three, a cursor, video frames come and go.
void record(trace::Recorder &r, int frames)
{
	std::vector<uint64_t> swapchain, video;
	for (int i = 0; i < 3; ++i)
		swapchain.push_back(
			r.recordAllocate(1920, 1080, DRM_FORMAT_XRGB8888, 8294400, "dma-heap:system", 41000));
	const uint64_t cursor = r.recordAllocate(64, 64, DRM_FORMAT_ARGB8888, 16384, "dumb:vkms", 9000);
	for (int i = 0; i < frames; ++i) {
		video.push_back(r.recordAllocate(1280, 720, DRM_FORMAT_NV12, 1384448, "region:video", 3000));
		if (video.size() > 2) {
			r.recordRelease(video.front());
			video.erase(video.begin());
		}
	}
	r.recordRelease(cursor);
	for (uint64_t id : swapchain)
		r.recordRelease(id);
}

std::string readAll(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream s;
	s << in.rdbuf();
	return s.str();
}

bool write(const std::string &path, const std::string &text)
{
	return fuzz::writeSeed(path, std::vector<uint8_t>(text.begin(), text.end()));
}

} // namespace

int main(int argc, char **argv)
{
	const char *directory = fuzz::seedDirectory(argc, argv);
	if (!directory)
		return 2;
	const std::string dir = directory;
	char tmp[] = "/tmp/hbm-trace-seeds-XXXXXX";
	if (!::mkdtemp(tmp))
		return 1;
	const std::string one = std::string(tmp) + "/one", two = std::string(tmp) + "/two";
	{
		trace::Recorder r(one.c_str());
		record(r, 6);
	}
	// Two processes appending to one file: records of both, interleaved.
	{
		trace::Recorder parent(two.c_str());
		const pid_t child = ::fork();
		if (child == 0) {
			trace::Recorder r(two.c_str());
			record(r, 4);
			::_exit(0);
		}
		record(parent, 4);
		int status = 0;
		::waitpid(child, &status, 0);
	}
	const std::string alloc = " 10 64 64 0x34325258 16384 dma-heap:system 5000\n";
	bool ok = write(dir + "/recorded-one-process", readAll(one)) &&
		  write(dir + "/recorded-two-processes", readAll(two)) &&
		  write(dir + "/version-1",
			"hbm-trace 1\na 1 10 1920 1080 0x3231564e 3110400 dma-heap:system 5000\nf 1 20\n") &&
		  write(dir + "/id-reused-after-release", "hbm-trace 1\na 1" + alloc + "f 1 20\na 1" + alloc) &&
		  write(dir + "/bad-header", "trace 2\n") &&
		  write(dir + "/short-allocation", "hbm-trace 1\na 1 10\n") &&
		  write(dir + "/unknown-event", "hbm-trace 1\nx 1 2\n") &&
		  write(dir + "/release-never-allocated", "hbm-trace 1\na 1" + alloc + "f 2 20\n") &&
		  write(dir + "/released-twice", "hbm-trace 1\na 1" + alloc + "f 1 20\nf 1 30\n") &&
		  write(dir + "/allocated-while-live", "hbm-trace 1\na 1" + alloc + "a 1" + alloc) &&
		  write(dir + "/release-of-another-process", "hbm-trace 2\na 100 1" + alloc + "f 200 1 20\n") &&
		  write(dir + "/release-without-pid", "hbm-trace 2\nf 1 20\n") && write(dir + "/empty", "");
	std::remove(one.c_str());
	std::remove(two.c_str());
	::rmdir(tmp);
	return ok ? 0 : 1;
}
