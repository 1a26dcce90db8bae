// SPDX-License-Identifier: MIT
#include "dma_buf_attribs.hpp"

#include "error.hpp"

#include <array>
#include <cerrno>
#include <climits>
#include <string>
#include <utility>

#include <EGL/eglext.h>
#include <drm_fourcc.h>

namespace hbm::egl::detail {

using hbm_seam::makeError;

namespace {

struct PlaneAttribs {
	EGLint fd, offset, pitch, modLo, modHi;
};

constexpr std::array<PlaneAttribs, 4> kPlaneAttribs = {{
	{EGL_DMA_BUF_PLANE0_FD_EXT, EGL_DMA_BUF_PLANE0_OFFSET_EXT, EGL_DMA_BUF_PLANE0_PITCH_EXT,
	 EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT},
	{EGL_DMA_BUF_PLANE1_FD_EXT, EGL_DMA_BUF_PLANE1_OFFSET_EXT, EGL_DMA_BUF_PLANE1_PITCH_EXT,
	 EGL_DMA_BUF_PLANE1_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE1_MODIFIER_HI_EXT},
	{EGL_DMA_BUF_PLANE2_FD_EXT, EGL_DMA_BUF_PLANE2_OFFSET_EXT, EGL_DMA_BUF_PLANE2_PITCH_EXT,
	 EGL_DMA_BUF_PLANE2_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE2_MODIFIER_HI_EXT},
	{EGL_DMA_BUF_PLANE3_FD_EXT, EGL_DMA_BUF_PLANE3_OFFSET_EXT, EGL_DMA_BUF_PLANE3_PITCH_EXT,
	 EGL_DMA_BUF_PLANE3_MODIFIER_LO_EXT, EGL_DMA_BUF_PLANE3_MODIFIER_HI_EXT},
}};

constexpr const char *kModifiers = "EGL_EXT_image_dma_buf_import_modifiers";


} // namespace

Result<std::vector<EGLint>> dmaBufImageAttribs(const DmaBufImage &image, const DmaBufImportAbility &ability,
					       const ImageOptions &options)
{
	const uint64_t modifier = image.modifier;
	if (!ability.modifiers && modifier != DRM_FORMAT_MOD_INVALID && modifier != DRM_FORMAT_MOD_LINEAR)
		return makeError(ENOTSUP, std::string("the buffer has an explicit modifier and the EGL display lacks ") +
						kModifiers + " to pass it");
	// DRM_FORMAT_MOD_INVALID is "implicit": say nothing and the driver infers the layout.
	// LINEAR is passed only to a display that lists it for the format; one that lists no
	// modifiers takes linear buffers as implicit ones (as wlroots' render/egl.c imports
	// them), and Mesa refuses a modifier its driver did not list.
	const bool passModifier = ability.modifiers && modifier != DRM_FORMAT_MOD_INVALID &&
				  (modifier != DRM_FORMAT_MOD_LINEAR || ability.listsLinear);
	const size_t planes = image.planes.size();
	if (planes == 0 || planes > kPlaneAttribs.size())
		return makeError(EINVAL, "an EGL dma-buf image has 1 to 4 planes, not " + std::to_string(planes));
	if (planes == 4 && !ability.modifiers)
		return makeError(ENOTSUP, std::string("a four-plane buffer needs ") + kModifiers + " (plane 3 attributes)");
	if (image.width > INT32_MAX || image.height > INT32_MAX)
		return makeError(EOVERFLOW, "the image's size does not fit EGL's EGLint");

	std::vector<EGLint> attribs = {
		EGL_WIDTH, EGLint(image.width),
		EGL_HEIGHT, EGLint(image.height),
		EGL_LINUX_DRM_FOURCC_EXT, EGLint(image.format),
	};
	for (size_t i = 0; i < planes; ++i) {
		const PlaneAttribs &a = kPlaneAttribs[i];
		const DmaBufImage::Plane &p = image.planes[i];
		if (p.offset > uint64_t(INT32_MAX) || p.stride > uint32_t(INT32_MAX))
			return makeError(EOVERFLOW, "plane " + std::to_string(i) + "'s offset or stride does not fit EGL's EGLint");
		attribs.insert(attribs.end(), {a.fd, p.fd, a.offset, EGLint(p.offset), a.pitch, EGLint(p.stride)});
		if (passModifier)
			attribs.insert(attribs.end(), {a.modLo, EGLint(modifier & 0xffffffffu), a.modHi, EGLint(modifier >> 32)});
	}
	const std::pair<EGLint, EGLint> hints[] = {
		{EGL_YUV_COLOR_SPACE_HINT_EXT, options.colorSpace},
		{EGL_SAMPLE_RANGE_HINT_EXT, options.sampleRange},
		{EGL_YUV_CHROMA_HORIZONTAL_SITING_HINT_EXT, options.chromaHorizontalSiting},
		{EGL_YUV_CHROMA_VERTICAL_SITING_HINT_EXT, options.chromaVerticalSiting},
	};
	for (const auto &[name, value] : hints)
		if (value)
			attribs.insert(attribs.end(), {name, value});
	attribs.push_back(EGL_NONE);
	return attribs;
}

} // namespace hbm::egl::detail
