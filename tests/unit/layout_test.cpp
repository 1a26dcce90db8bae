// SPDX-License-Identifier: MIT
#include <cerrno>
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/format.hpp>
#include <hbm/layout.hpp>
#include <hbm/refusal.hpp>
#include <hbm/constraints.hpp>

using namespace hbm;

namespace {

Layout layoutOf(uint32_t fourcc, uint32_t w, uint32_t h, LinearRules rules = {})
{
	auto l = linearLayout(fourcc, w, h, rules);
	EXPECT_TRUE(l) << l.error().message;
	return l ? *l : Layout{};
}

void expectError(Result<Layout> r, int code, const std::string &text)
{
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, code);
	EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
}

} // namespace

TEST(Layout, Xrgb8888At1080p)
{
	Layout l = layoutOf(DRM_FORMAT_XRGB8888, 1920, 1080);
	ASSERT_EQ(l.planes.size(), 1u);
	EXPECT_EQ(l.planes[0], (PlaneLayout{0, 7680, 7680ull * 1080}));
	EXPECT_EQ(l.size, 8294400u);
	EXPECT_EQ(l.modifier, DRM_FORMAT_MOD_LINEAR);
}

TEST(Layout, Nv12ChromaFollowsLuma)
{
	Layout l = layoutOf(DRM_FORMAT_NV12, 1920, 1080);
	ASSERT_EQ(l.planes.size(), 2u);
	EXPECT_EQ(l.planes[0], (PlaneLayout{0, 1920, 2073600}));
	EXPECT_EQ(l.planes[1], (PlaneLayout{2073600, 1920, 1920ull * 540}));
	EXPECT_EQ(l.size, 3112960u); // 3110400 rounded up to a page
}

TEST(Layout, Yuv420OddSizeHalvesChromaStride)
{
	Layout l = layoutOf(DRM_FORMAT_YUV420, 1919, 1079);
	ASSERT_EQ(l.planes.size(), 3u);
	EXPECT_EQ(l.planes[0], (PlaneLayout{0, 1920, 1920ull * 1079}));
	EXPECT_EQ(l.planes[1], (PlaneLayout{2071680, 960, 960ull * 540}));
	EXPECT_EQ(l.planes[2], (PlaneLayout{2590080, 960, 960ull * 540}));
	EXPECT_EQ(l.size, 3108864u);
}

TEST(Layout, StrideGrowsUntilChromaStrideIsWhole)
{
	LinearRules tight{1, 1, 1};
	Layout l = layoutOf(DRM_FORMAT_YUV420, 3, 2, tight);
	EXPECT_EQ(l.planes[0].stride, 4u) << "3 would give a chroma stride of 1.5";
	EXPECT_EQ(l.planes[1].stride, 2u);
}

TEST(Layout, PackedYuyvCountsTwoPixelBlocks)
{
	Layout l = layoutOf(DRM_FORMAT_YUYV, 641, 480);
	EXPECT_EQ(l.planes[0].stride, 1344u); // 321 blocks x 4 bytes, aligned to 64
	EXPECT_EQ(l.size, 647168u);
}

TEST(Layout, P010SixteenBitSamples)
{
	Layout l = layoutOf(DRM_FORMAT_P010, 1280, 720);
	EXPECT_EQ(l.planes[0], (PlaneLayout{0, 2560, 2560ull * 720}));
	EXPECT_EQ(l.planes[1], (PlaneLayout{1843200, 2560, 2560ull * 360}));
	EXPECT_EQ(l.size, 2764800u);
}

TEST(Layout, Nv24ChromaIsTwiceAsWide)
{
	Layout l = layoutOf(DRM_FORMAT_NV24, 100, 10);
	EXPECT_EQ(l.planes[0].stride, 128u);
	EXPECT_EQ(l.planes[1].stride, 256u);
}

TEST(Layout, EveryKnownFormatLaysOut)
{
	for (const FormatInfo &info : knownFormats()) {
		auto l = linearLayout(info.fourcc, 33, 17);
		ASSERT_TRUE(l) << info.name << ": " << l.error().message;
		EXPECT_EQ(l->planes.size(), info.planeCount) << info.name;
		uint64_t end = 0;
		for (const PlaneLayout &p : l->planes) {
			EXPECT_GE(p.offset, end) << info.name << ": planes overlap";
			end = p.offset + p.size;
		}
		EXPECT_GE(l->size, end) << info.name;
	}
}

TEST(Layout, RefusesBadInputAsAMalformedRequest)
{
	// The request rule (validateRequest()), refused as data: which field, which value.
	auto expectInvalid = [](Result<Layout> r, uint64_t value, uint64_t limit, uint32_t format) {
		ASSERT_FALSE(r);
		EXPECT_EQ(r.error().code, EINVAL);
		ASSERT_TRUE(r.error().refusal);
		ASSERT_EQ(r.error().refusal->rejections.size(), 1u);
		const Rejection &j = r.error().refusal->rejections[0];
		EXPECT_EQ(j.reason, RejectReason::InvalidRequest);
		EXPECT_EQ(j.value, value);
		EXPECT_EQ(j.limit, limit);
		EXPECT_EQ(j.format, format);
	};
	expectInvalid(linearLayout(fourcc_code('N', 'O', 'P', 'E'), 64, 64), 0, 0, fourcc_code('N', 'O', 'P', 'E'));
	expectInvalid(linearLayout(DRM_FORMAT_XRGB8888, 0, 1080), 1080, kMaxDimension, 0);
	expectInvalid(linearLayout(DRM_FORMAT_XRGB8888, 1920, 0), 1920ull << 32, kMaxDimension, 0);
	expectInvalid(linearLayout(DRM_FORMAT_XRGB8888, 70000, 10), 70000ull << 32 | 10, kMaxDimension, 0);
	expectError(linearLayout(DRM_FORMAT_XRGB8888, 64, 64, {48, 64, 4096}), EINVAL,
		    "alignment 48 is not a power of two");
}

TEST(Layout, RefusesAlignmentAboveTheLimit)
{
	// 2^31 stride alignment would make NV24's chroma stride 2^32; the alignment rule
	// (validAlignment(): at most 2^24) refuses it first, so a stride always fits 32 bits.
	expectError(linearLayout(DRM_FORMAT_NV24, 65536, 2, {1u << 31, 64, 4096}), EINVAL,
		    "alignment 2147483648 is not a power of two from 1 to 16777216");
}
