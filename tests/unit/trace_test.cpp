// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <random>
#include <sstream>

#include <drm_fourcc.h>

#include <hbm/trace.hpp>
#include <hbm-test/replay.hpp>
#include <hbm-test/synthetic_trace.hpp>

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
	EXPECT_NE(header.error().message.find("expected 'hbm-trace 1'"), std::string::npos);
	auto bad = parseTrace("hbm-trace 1\na 1 10\n");
	ASSERT_FALSE(bad);
	EXPECT_NE(bad.error().message.find("trace line 2"), std::string::npos) << bad.error().message;
	auto kind = parseTrace("hbm-trace 1\nx 1 2\n");
	ASSERT_FALSE(kind);
	EXPECT_NE(kind.error().message.find("unknown event 'x'"), std::string::npos);
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
