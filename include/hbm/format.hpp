// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <hbm/export.h>

namespace hbm {

/// Memory layout of one plane of a DRM format, in blocks: a block is blockWidth x 1 pixels
/// of this plane (2 for packed 4:2:2 such as YUYV, else 1) taking bytesPerBlock bytes.
/// Chroma planes are subsampled by hsub x vsub relative to the image.
struct PlaneFormat {
	uint8_t bytesPerBlock;
	uint8_t blockWidth;
	uint8_t hsub;
	uint8_t vsub;
};

/// What hbm knows of a DRM fourcc (drm_fourcc.h).
struct FormatInfo {
	uint32_t fourcc;
	const char *name; ///< the drm_fourcc.h name without DRM_FORMAT_, e.g. "XRGB8888"
	uint8_t planeCount;
	PlaneFormat planes[3];
	bool hasAlpha;
	bool isYuv;
};

/// The entry for @fourcc, or nullptr if hbm does not know the format.
HBM_EXPORT const FormatInfo *findFormat(uint32_t fourcc);

/// The entry named @name ("NV12", "XRGB8888" — drm_fourcc.h names), or nullptr.
HBM_EXPORT const FormatInfo *findFormatByName(std::string_view name);

/// Every format hbm can lay out, in a fixed order.
HBM_EXPORT std::span<const FormatInfo> knownFormats();

/// "XRGB8888 (XR24)" for a known format; libdrm's fourcc code ("XR24") alone otherwise.
HBM_EXPORT std::string formatName(uint32_t fourcc);

/// libdrm's vendor and name, e.g. "LINEAR", "INVALID", "INTEL_Y_TILED"; "0x…" if unknown.
HBM_EXPORT std::string modifierName(uint64_t modifier);

/// How many memory planes a buffer of @format laid out with @modifier has, and the text
/// that says so: the format's own planes for LINEAR, INVALID and layouts that only tile
/// them, plus the planes a compressed layout adds (Intel CCS and clear colour, AMD DCC),
/// from include/uapi/drm/drm_fourcc.h of Linux 6.12 (src/modifier_facts.cpp). planes 0:
/// a format or modifier hbm has no fact of. hbm lays out only LINEAR itself: a vendor
/// layout is its allocator's (GBM) to make.
struct ModifierPlanes {
	uint32_t planes = 0;
	const char *source = "";
};
HBM_EXPORT ModifierPlanes memoryPlanes(uint32_t format, uint64_t modifier);

} // namespace hbm
