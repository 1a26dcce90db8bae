// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "backends/region/range_allocator.hpp"

using namespace hbm::region;

TEST(RangeAllocator, BestFitTakesTheSmallestHoleFirstFitTheLowest)
{
	for (const char *algorithm : {"best-fit", "first-fit"}) {
		auto r = RangeAllocator::create(algorithm, 100 << 12);
		ASSERT_TRUE(r);
		// Holes of 10 and 4 pages, separated by used ranges.
		auto a = r->allocate(10 << 12, 4096), b = r->allocate(1 << 12, 4096);
		auto c = r->allocate(4 << 12, 4096), d = r->allocate(1 << 12, 4096);
		ASSERT_TRUE(a && b && c && d);
		ASSERT_TRUE(r->release(*a));
		ASSERT_TRUE(r->release(*c));
		auto e = r->allocate(4 << 12, 4096);
		ASSERT_TRUE(e);
		if (std::string(algorithm) == "best-fit")
			EXPECT_EQ(*e, *c) << "best-fit keeps the 10-page hole whole";
		else
			EXPECT_EQ(*e, *a) << "first-fit takes the lowest hole";
	}
}

TEST(RangeAllocator, ReleaseCoalescesAndAlignmentIsHonoured)
{
	auto r = RangeAllocator::create("best-fit", 1 << 20);
	auto a = r->allocate(4096, 4096), b = r->allocate(4096, 4096), c = r->allocate(4096, 4096);
	ASSERT_TRUE(a && b && c);
	EXPECT_TRUE(r->release(*b));
	EXPECT_TRUE(r->release(*a));
	EXPECT_TRUE(r->release(*c));
	EXPECT_EQ(r->freeRanges(), 1u) << "freed neighbours merge back into one range";
	EXPECT_EQ(r->largestFree(), 1u << 20);
	EXPECT_FALSE(r->release(*c)) << "released twice";

	auto small = r->allocate(100, 1);
	auto aligned = r->allocate(4096, 65536);
	ASSERT_TRUE(small && aligned);
	EXPECT_EQ(*aligned % 65536, 0u);
	EXPECT_FALSE(r->allocate(4096, 3)) << "alignment must be a power of two";
}

TEST(RangeAllocator, ExhaustionAndUnknownAlgorithm)
{
	auto r = RangeAllocator::create("first-fit", 8192);
	EXPECT_TRUE(r->allocate(8192, 4096));
	EXPECT_FALSE(r->allocate(1, 1));
	EXPECT_EQ(r->freeBytes(), 0u);
	EXPECT_EQ(RangeAllocator::create("worst-fit", 8192), nullptr);
}
