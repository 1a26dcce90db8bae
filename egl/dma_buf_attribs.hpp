// SPDX-License-Identifier: MIT
#pragma once

// The attribute list of an EGL_LINUX_DMA_BUF_EXT image, as a pure function of the image's
// layout and what the display can take, so that the rules are tested without a display
// (tests/egl compiles this file into its unit test).

#include <cstdint>
#include <vector>

#include <EGL/egl.h>

#include <hbm/egl/image.hpp>
#include <hbm/result.hpp>

namespace hbm::egl::detail {

struct DmaBufImage {
	uint32_t width = 0;
	uint32_t height = 0;
	uint32_t format = 0;
	uint64_t modifier = 0;
	struct Plane {
		int fd = -1;
		uint64_t offset = 0;
		uint32_t stride = 0;
	};
	std::vector<Plane> planes;
};

/// What the display takes: EGL_EXT_image_dma_buf_import_modifiers, and whether it lists
/// DRM_FORMAT_MOD_LINEAR for the image's format.
struct DmaBufImportAbility {
	bool modifiers = false;
	bool listsLinear = false;
};

/// The attributes, EGL_NONE-terminated, or why the display cannot take the image.
Result<std::vector<EGLint>> dmaBufImageAttribs(const DmaBufImage &image, const DmaBufImportAbility &ability,
					       const ImageOptions &options);

} // namespace hbm::egl::detail
