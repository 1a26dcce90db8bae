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

TEST(RangeAllocator, SixtyFourBitSizesNeitherWrapNorTruncate)
{
	for (const char *algorithm : {"best-fit", "first-fit"}) {
		const uint64_t big = (1ull << 44) + (16ull << 20);
		auto r = RangeAllocator::create(algorithm, 3 * big);
		auto a = r->allocate(big, 4096), b = r->allocate(big, 1ull << 40);
		ASSERT_TRUE(a && b) << algorithm;
		EXPECT_EQ(*a, 0u);
		EXPECT_EQ(*b % (1ull << 40), 0u);
		EXPECT_GE(*b, big);
		EXPECT_EQ(r->freeBytes(), big);
		EXPECT_FALSE(r->allocate(2 * big, 4096)) << "more than is free";
		EXPECT_TRUE(r->release(*a));
		EXPECT_EQ(r->largestFree(), std::max(*b, 3 * big - (*b + big)));

		// A range ending at the top of the 64-bit space: alignment must not wrap to 0.
		const uint64_t top = ~0ull - 4095;
		auto edge = RangeAllocator::create(algorithm, top);
		ASSERT_TRUE(edge->allocate(top - 8192, 4096));
		EXPECT_FALSE(edge->allocate(4096, 1ull << 63)) << "the aligned start would wrap past 2^64";
		auto last = edge->allocate(8192, 4096);
		ASSERT_TRUE(last);
		EXPECT_EQ(*last, top - 8192);
		EXPECT_EQ(edge->freeBytes(), 0u);
	}
}
