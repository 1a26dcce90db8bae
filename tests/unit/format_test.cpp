// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <set>

#include <drm_fourcc.h>

#include <hbm/format.hpp>

using namespace hbm;

TEST(Format, TableCoversTheRequiredFormats)
{
	struct Want {
		uint32_t fourcc;
		unsigned planes;
		unsigned bytes0;
	};
	const Want wants[] = {
		{DRM_FORMAT_XRGB8888, 1, 4},      {DRM_FORMAT_ARGB8888, 1, 4},
		{DRM_FORMAT_XBGR8888, 1, 4},      {DRM_FORMAT_ABGR8888, 1, 4},
		{DRM_FORMAT_RGB565, 1, 2},        {DRM_FORMAT_XRGB2101010, 1, 4},
		{DRM_FORMAT_ARGB2101010, 1, 4},   {DRM_FORMAT_ABGR16161616F, 1, 8},
		{DRM_FORMAT_NV12, 2, 1},          {DRM_FORMAT_NV21, 2, 1},
		{DRM_FORMAT_NV16, 2, 1},          {DRM_FORMAT_P010, 2, 2},
		{DRM_FORMAT_YUV420, 3, 1},        {DRM_FORMAT_YVU420, 3, 1},
		{DRM_FORMAT_YUYV, 1, 4},          {DRM_FORMAT_UYVY, 1, 4},
	};
	for (const Want &w : wants) {
		const FormatInfo *info = findFormat(w.fourcc);
		ASSERT_NE(info, nullptr) << formatName(w.fourcc);
		EXPECT_EQ(info->planeCount, w.planes) << info->name;
		EXPECT_EQ(info->planes[0].bytesPerBlock, w.bytes0) << info->name;
	}
}

TEST(Format, SubsamplingAndPackedBlocks)
{
	const FormatInfo *nv12 = findFormat(DRM_FORMAT_NV12);
	EXPECT_EQ(nv12->planes[1].hsub, 2);
	EXPECT_EQ(nv12->planes[1].vsub, 2);
	EXPECT_EQ(nv12->planes[1].bytesPerBlock, 2); // Cb and Cr interleaved

	const FormatInfo *nv16 = findFormat(DRM_FORMAT_NV16);
	EXPECT_EQ(nv16->planes[1].hsub, 2);
	EXPECT_EQ(nv16->planes[1].vsub, 1);

	const FormatInfo *p010 = findFormat(DRM_FORMAT_P010);
	EXPECT_EQ(p010->planes[1].bytesPerBlock, 4);

	const FormatInfo *yuyv = findFormat(DRM_FORMAT_YUYV);
	EXPECT_EQ(yuyv->planes[0].blockWidth, 2); // two pixels per 4-byte block
	EXPECT_TRUE(yuyv->isYuv);

	EXPECT_TRUE(findFormat(DRM_FORMAT_ARGB8888)->hasAlpha);
	EXPECT_FALSE(findFormat(DRM_FORMAT_XRGB8888)->hasAlpha);
}

TEST(Format, TableHasNoDuplicatesAndSaneEntries)
{
	std::set<uint32_t> seen;
	for (const FormatInfo &info : knownFormats()) {
		EXPECT_TRUE(seen.insert(info.fourcc).second) << info.name;
		ASSERT_GE(info.planeCount, 1) << info.name;
		ASSERT_LE(info.planeCount, 3) << info.name;
		for (unsigned i = 0; i < info.planeCount; ++i) {
			EXPECT_GT(info.planes[i].bytesPerBlock, 0) << info.name;
			EXPECT_GT(info.planes[i].hsub, 0) << info.name;
			EXPECT_GT(info.planes[i].vsub, 0) << info.name;
		}
	}
	EXPECT_EQ(findFormat(fourcc_code('N', 'O', 'P', 'E')), nullptr);
}

TEST(Format, NamesComeFromLibdrm)
{
	EXPECT_EQ(formatName(DRM_FORMAT_XRGB8888), "XRGB8888 (XR24)");
	EXPECT_EQ(formatName(DRM_FORMAT_NV12), "NV12 (NV12)");
	// Unknown to hbm: libdrm's four characters alone.
	EXPECT_EQ(formatName(fourcc_code('N', 'O', 'P', 'E')), "NOPE");
}

// Regression: 0xffffffff was printed as four raw 0xff bytes (not even UTF-8).
TEST(Format, UnprintableFourccsAreHex)
{
	EXPECT_EQ(formatName(0xffffffffu), "0xffffffff");
	EXPECT_EQ(formatName(0), "INVALID");
	EXPECT_EQ(formatName(fourcc_code('A', 'B', '\n', 'D')), "0x440a4241");
	EXPECT_EQ(formatName(fourcc_code('N', 'O', 'P', 0x80)), "0x80504f4e");
}

TEST(Format, ModifierNames)
{
	EXPECT_EQ(modifierName(DRM_FORMAT_MOD_LINEAR), "LINEAR");
	EXPECT_EQ(modifierName(DRM_FORMAT_MOD_INVALID), "INVALID");
	EXPECT_EQ(modifierName(I915_FORMAT_MOD_X_TILED), "INTEL_X_TILED");
	// A vendor libdrm does not know: shown as the raw value.
	EXPECT_EQ(modifierName(0x7f00000000000001ull), "0x7f00000000000001");
}
