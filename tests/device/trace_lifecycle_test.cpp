// SPDX-License-Identifier: MIT
// HBM_TRACE records a buffer's release when the buffer goes, not before. Regression: a
// deferred buffer used to get its storage by building a second Buffer and moving fields
// across; the emptied second Buffer recorded the release at once, while the storage was
// alive, and every replay of such a trace was wrong. Its own binary: HBM_TRACE is read
// once per process, so it is set here before anything runs.
#include <cstdlib>
#include <fstream>
#include <cerrno>
#include <gtest/gtest.h>
#include <sstream>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "device_test.hpp"

using namespace hbm;

namespace {

std::string tracePath()
{
	static const std::string path = [] {
		char dir[] = "/tmp/hbm-trace-XXXXXX";
		std::string p = ::mkdtemp(dir) ? std::string(dir) + "/trace" : std::string();
		::setenv("HBM_TRACE", p.c_str(), 1);
		return p;
	}();
	return path;
}
const std::string kTrace = tracePath();

std::vector<TraceEvent> recorded()
{
	std::ifstream in(kTrace);
	std::stringstream text;
	text << in.rdbuf();
	auto events = parseTrace(text.str());
	return events ? *events : std::vector<TraceEvent>{};
}

} // namespace

TEST(TraceLifecycle, ADescribedBufferIsReleasedWhenItGoes)
{
	ASSERT_FALSE(kTrace.empty());
	auto ctx = Context::create();
	ASSERT_TRUE(ctx);
	auto described = (*ctx)->describe({640, 480, {DRM_FORMAT_XRGB8888}});
	ASSERT_TRUE(described) << described.error().toString();
	auto buffer = (*described)->allocate();
	// describe() refuses only a bad request: no dma-buf memory here is allocate()'s answer.
	HBM_REQUIRE_DEVICE(buffer.ok() || buffer.error().code != ENOTSUP, buffer ? "" : buffer.error().message);
	ASSERT_TRUE(buffer) << buffer.error().toString();

	auto alive = recorded();
	ASSERT_EQ(alive.size(), 1u) << "one allocation, and no release while the buffer lives";
	EXPECT_TRUE(alive[0].allocate);
	EXPECT_EQ(alive[0].width, 640u);

	buffer = Error{ECANCELED, "dropped"};
	described = Error{ECANCELED, "dropped"};
	auto gone = recorded();
	ASSERT_EQ(gone.size(), 2u);
	EXPECT_FALSE(gone[1].allocate);
	EXPECT_EQ(gone[1].id, gone[0].id);
	::unlink(kTrace.c_str());
}
