// SPDX-License-Identifier: MIT
// The EGL_LINUX_DMA_BUF_EXT attribute rules without a display: which planes, when a
// modifier is passed, which hints, and what is refused.

#include <cerrno>
#include <map>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <drm_fourcc.h>
#include <gtest/gtest.h>

#include "../../egl/dma_buf_attribs.hpp"

namespace {

using hbm::egl::detail::DmaBufImage;
using hbm::egl::detail::DmaBufImportAbility;
using hbm::egl::detail::dmaBufImageAttribs;

/// The attribute list as a map (each attribute appears once), checking it ends in EGL_NONE.
std::map<EGLint, EGLint> asMap(const std::vector<EGLint> &attribs)
{
	std::map<EGLint, EGLint> out;
	EXPECT_EQ(attribs.size() % 2, 1u);
	EXPECT_EQ(attribs.back(), EGL_NONE);
	for (size_t i = 0; i + 1 < attribs.size(); i += 2)
		EXPECT_TRUE(out.emplace(attribs[i], attribs[i + 1]).second) << "attribute 0x" << std::hex << attribs[i] << " twice";
	return out;
}

DmaBufImage nv12(uint64_t modifier)
{
	return DmaBufImage{64, 32, DRM_FORMAT_NV12, modifier, {{7, 0, 64}, {7, 2048, 64}}};
}

TEST(DmaBufAttribs, EveryPlaneWithItsFdOffsetAndPitch)
{
	auto attribs = dmaBufImageAttribs(nv12(DRM_FORMAT_MOD_INVALID), {true, false}, {});
	ASSERT_TRUE(attribs) << attribs.error().toString();
	auto m = asMap(*attribs);
	EXPECT_EQ(m.at(EGL_WIDTH), 64);
	EXPECT_EQ(m.at(EGL_HEIGHT), 32);
	EXPECT_EQ(m.at(EGL_LINUX_DRM_FOURCC_EXT), EGLint(DRM_FORMAT_NV12));
	EXPECT_EQ(m.at(EGL_DMA_BUF_PLANE0_FD_EXT), 7);
	EXPECT_EQ(m.at(EGL_DMA_BUF_PLANE1_OFFSET_EXT), 2048);
	EXPECT_EQ(m.at(EGL_DMA_BUF_PLANE1_PITCH_EXT), 64);
	EXPECT_EQ(m.count(EGL_DMA_BUF_PLANE2_FD_EXT), 0u);
	// Implicit: no modifier at all.
	EXPECT_EQ(m.count(EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT), 0u);
	EXPECT_EQ(m.count(EGL_YUV_COLOR_SPACE_HINT_EXT), 0u);
	EXPECT_EQ(m.size(), 3u + 2 * 3);
}

TEST(DmaBufAttribs, ExplicitModifierOnEveryPlaneWhenTheExtensionIsThere)
{
	const uint64_t tiled = I915_FORMAT_MOD_Y_TILED; // 0x0100000000000002
	auto attribs = dmaBufImageAttribs(nv12(tiled), {true, false}, {});
	ASSERT_TRUE(attribs) << attribs.error().toString();
	auto m = asMap(*attribs);
	EXPECT_EQ(m.at(EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT), 2);
	EXPECT_EQ(m.at(EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT), 0x01000000);
	EXPECT_EQ(m.at(EGL_DMA_BUF_PLANE1_MODIFIER_LO_EXT), 2);
	EXPECT_EQ(m.at(EGL_DMA_BUF_PLANE1_MODIFIER_HI_EXT), 0x01000000);

	auto without = dmaBufImageAttribs(nv12(tiled), {false, false}, {});
	ASSERT_FALSE(without);
	EXPECT_EQ(without.error().code, ENOTSUP);
	EXPECT_NE(without.error().message.find("EGL_EXT_image_dma_buf_import_modifiers"), std::string::npos);
}

TEST(DmaBufAttribs, LinearIsPassedOnlyToADisplayThatListsIt)
{
	auto listed = asMap(*dmaBufImageAttribs(nv12(DRM_FORMAT_MOD_LINEAR), {true, true}, {}));
	EXPECT_EQ(listed.at(EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT), 0);
	EXPECT_EQ(listed.at(EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT), 0);
	auto unlisted = asMap(*dmaBufImageAttribs(nv12(DRM_FORMAT_MOD_LINEAR), {true, false}, {}));
	EXPECT_EQ(unlisted.count(EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT), 0u);
	auto noExtension = dmaBufImageAttribs(nv12(DRM_FORMAT_MOD_LINEAR), {false, false}, {});
	ASSERT_TRUE(noExtension) << noExtension.error().toString();
	EXPECT_EQ(asMap(*noExtension).count(EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT), 0u);
}

TEST(DmaBufAttribs, YuvHintsOnlyThoseGiven)
{
	hbm::egl::ImageOptions options;
	options.colorSpace = EGL_ITU_REC709_EXT;
	options.chromaVerticalSiting = EGL_YUV_CHROMA_SITING_0_5_EXT;
	auto m = asMap(*dmaBufImageAttribs(nv12(DRM_FORMAT_MOD_INVALID), {true, false}, options));
	EXPECT_EQ(m.at(EGL_YUV_COLOR_SPACE_HINT_EXT), EGL_ITU_REC709_EXT);
	EXPECT_EQ(m.at(EGL_YUV_CHROMA_VERTICAL_SITING_HINT_EXT), EGL_YUV_CHROMA_SITING_0_5_EXT);
	EXPECT_EQ(m.count(EGL_SAMPLE_RANGE_HINT_EXT), 0u);
	EXPECT_EQ(m.count(EGL_YUV_CHROMA_HORIZONTAL_SITING_HINT_EXT), 0u);
}

TEST(DmaBufAttribs, FourPlanesNeedTheModifiersExtension)
{
	DmaBufImage four{16, 16, DRM_FORMAT_YUV420, DRM_FORMAT_MOD_INVALID, {{3, 0, 16}, {3, 256, 8}, {3, 320, 8}, {3, 384, 8}}};
	auto with = dmaBufImageAttribs(four, {true, false}, {});
	ASSERT_TRUE(with) << with.error().toString();
	EXPECT_EQ(asMap(*with).at(EGL_DMA_BUF_PLANE3_OFFSET_EXT), 384);
	auto without = dmaBufImageAttribs(four, {false, false}, {});
	ASSERT_FALSE(without);
	EXPECT_EQ(without.error().code, ENOTSUP);
}

TEST(DmaBufAttribs, RefusesWhatEglCannotSay)
{
	DmaBufImage none{16, 16, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID, {}};
	auto empty = dmaBufImageAttribs(none, {true, false}, {});
	ASSERT_FALSE(empty);
	EXPECT_EQ(empty.error().code, EINVAL);
	DmaBufImage five = nv12(DRM_FORMAT_MOD_INVALID);
	five.planes.resize(5, five.planes[0]);
	EXPECT_EQ(dmaBufImageAttribs(five, {true, false}, {}).error().code, EINVAL);
	DmaBufImage far = nv12(DRM_FORMAT_MOD_INVALID);
	far.planes[1].offset = uint64_t(1) << 31;
	auto overflow = dmaBufImageAttribs(far, {true, false}, {});
	ASSERT_FALSE(overflow);
	EXPECT_EQ(overflow.error().code, EOVERFLOW);
	EXPECT_NE(overflow.error().message.find("plane 1"), std::string::npos) << overflow.error().message;
}

} // namespace
