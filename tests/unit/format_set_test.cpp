// SPDX-License-Identifier: MIT
#include <utility>

#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/format_set.hpp>

using namespace hbm;

namespace {
constexpr uint64_t kLinear = DRM_FORMAT_MOD_LINEAR;
constexpr uint64_t kInvalid = DRM_FORMAT_MOD_INVALID;
constexpr uint64_t kXTiled = I915_FORMAT_MOD_X_TILED;
} // namespace

TEST(FormatSet, AddRemoveContains)
{
	FormatSet set;
	EXPECT_TRUE(set.empty());
	EXPECT_TRUE(set.add(DRM_FORMAT_XRGB8888, kLinear));
	EXPECT_FALSE(set.add(DRM_FORMAT_XRGB8888, kLinear)) << "duplicate pair";
	EXPECT_TRUE(set.add(DRM_FORMAT_NV12, kLinear));
	EXPECT_TRUE(set.add(DRM_FORMAT_XRGB8888, kXTiled));

	EXPECT_TRUE(set.contains(DRM_FORMAT_XRGB8888, kXTiled));
	EXPECT_FALSE(set.contains(DRM_FORMAT_NV12, kXTiled));
	EXPECT_EQ(set.formatCount(), 2u);
	EXPECT_EQ(set.pairCount(), 3u);

	EXPECT_TRUE(set.remove(DRM_FORMAT_NV12, kLinear));
	EXPECT_FALSE(set.containsFormat(DRM_FORMAT_NV12)) << "last modifier removes the format";
	EXPECT_FALSE(set.remove(DRM_FORMAT_NV12, kLinear));
}

TEST(FormatSet, KeepsFormatsAndModifiersSorted)
{
	FormatSet set;
	set.add(DRM_FORMAT_XRGB8888, kXTiled);
	set.add(DRM_FORMAT_NV12, kLinear);
	set.add(DRM_FORMAT_XRGB8888, kLinear);
	auto formats = set.formats();
	EXPECT_TRUE(std::is_sorted(formats.begin(), formats.end()));
	auto mods = set.modifiers(DRM_FORMAT_XRGB8888);
	ASSERT_EQ(mods.size(), 2u);
	EXPECT_EQ(mods[0], kLinear);
	EXPECT_EQ(mods[1], kXTiled);
	EXPECT_TRUE(set.modifiers(DRM_FORMAT_ARGB8888).empty());
}

TEST(FormatSet, IntersectKeepsCommonPairsOnly)
{
	FormatSet display({DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888}, {kLinear, kXTiled});
	FormatSet gpu({DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12}, {kXTiled});
	FormatSet both = display.intersect(gpu);
	EXPECT_EQ(both, FormatSet({DRM_FORMAT_XRGB8888}, {kXTiled}));
	EXPECT_EQ(gpu.intersect(display), both) << "intersection is symmetric";
	EXPECT_TRUE(display.intersect(FormatSet()).empty());
}

TEST(FormatSet, ImplicitModifierSurvivesOnlyIfBothAllowIt)
{
	FormatSet implicitOk({DRM_FORMAT_XRGB8888}, {kInvalid, kLinear});
	FormatSet explicitOnly({DRM_FORMAT_XRGB8888}, {kLinear});
	FormatSet both = implicitOk.intersect(explicitOnly);
	EXPECT_FALSE(both.contains(DRM_FORMAT_XRGB8888, kInvalid));
	EXPECT_TRUE(both.contains(DRM_FORMAT_XRGB8888, kLinear));

	FormatSet alsoImplicit({DRM_FORMAT_XRGB8888}, {kInvalid});
	EXPECT_TRUE(implicitOk.intersect(alsoImplicit).contains(DRM_FORMAT_XRGB8888, kInvalid));
}

TEST(FormatSet, UniteMergesModifiers)
{
	FormatSet a({DRM_FORMAT_XRGB8888}, {kLinear});
	FormatSet b({DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12}, {kXTiled});
	FormatSet u = a.unite(b);
	EXPECT_EQ(u.pairCount(), 3u);
	EXPECT_TRUE(u.contains(DRM_FORMAT_XRGB8888, kLinear));
	EXPECT_TRUE(u.contains(DRM_FORMAT_XRGB8888, kXTiled));
	EXPECT_TRUE(u.contains(DRM_FORMAT_NV12, kXTiled));
	EXPECT_EQ(u, b.unite(a));
}

TEST(FormatSet, ToStringNamesFormatsAndModifiers)
{
	FormatSet set({DRM_FORMAT_XRGB8888}, {kLinear, kInvalid});
	EXPECT_EQ(set.toString(), "XRGB8888 (XR24): LINEAR, INVALID");
	EXPECT_EQ(FormatSet().toString(), "(empty)");
}

// Copies share their pairs until one changes (a participant's set is copied into every
// plan): each copy still behaves as a value of its own.
TEST(FormatSet, CopiesAreValuesOfTheirOwn)
{
	FormatSet a({DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12}, {DRM_FORMAT_MOD_LINEAR});
	FormatSet b = a;
	EXPECT_EQ(a, b);
	EXPECT_EQ(a.entries().data(), b.entries().data()) << "a copy shares the pairs until it changes";

	EXPECT_FALSE(b.add(DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR)) << "already there: nothing changes";
	EXPECT_EQ(a.entries().data(), b.entries().data()) << "an add that changes nothing copies nothing";
	EXPECT_TRUE(b.add(DRM_FORMAT_NV12, DRM_FORMAT_MOD_INVALID));
	EXPECT_NE(a.entries().data(), b.entries().data());
	EXPECT_FALSE(a.contains(DRM_FORMAT_NV12, DRM_FORMAT_MOD_INVALID)) << "the original is untouched";
	EXPECT_TRUE(b.contains(DRM_FORMAT_NV12, DRM_FORMAT_MOD_INVALID));

	FormatSet c = a;
	EXPECT_TRUE(a.remove(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
	EXPECT_TRUE(c.contains(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR)) << "a remove leaves the copy as it was";
	EXPECT_FALSE(a.containsFormat(DRM_FORMAT_XRGB8888));

	// The only owner changes its pairs in place.
	const FormatSet::Entry *before = c.entries().data();
	{
		FormatSet gone = c;
	}
	EXPECT_TRUE(c.add(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID));
	EXPECT_EQ(c.entries().data(), before);

	// Assignment, self-assignment and moves.
	FormatSet d;
	d = c;
	d = d;
	EXPECT_EQ(d, c);
	FormatSet e = std::move(d);
	EXPECT_TRUE(d.empty()) << "moved from: empty";
	EXPECT_EQ(e, c);
	e = FormatSet();
	EXPECT_TRUE(e.empty());
	EXPECT_EQ(e, FormatSet());
}
