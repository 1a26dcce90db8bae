// SPDX-License-Identifier: MIT
// The one table of what each modifier family does to a buffer's memory planes, with the
// text of include/uapi/drm/drm_fourcc.h (Linux 6.12) that says so. hbm never lays out a
// vendor modifier itself (GBM does); this is what a plan, a refusal or `hbm plan --device`
// tells about the buffer such an allocator would make.
#include <hbm/format.hpp>

#include <drm_fourcc.h>

namespace hbm {
namespace {

struct ModifierRule {
	bool (*matches)(uint64_t modifier);
	/// Memory planes per plane of the format (1: none added), and planes added once.
	uint32_t perFormatPlane;
	uint32_t added;
	const char *source;
};

uint64_t vendorOf(uint64_t m)
{
	return m >> 56;
}

bool isAmdDcc(uint64_t m)
{
	return vendorOf(m) == DRM_FORMAT_MOD_VENDOR_AMD && AMD_FMT_MOD_GET(DCC, m) && !AMD_FMT_MOD_GET(DCC_RETILE, m);
}
bool isAmdDccRetile(uint64_t m)
{
	return vendorOf(m) == DRM_FORMAT_MOD_VENDOR_AMD && AMD_FMT_MOD_GET(DCC, m) && AMD_FMT_MOD_GET(DCC_RETILE, m);
}

const ModifierRule kRules[] = {
	{[](uint64_t m) { return m == DRM_FORMAT_MOD_LINEAR || m == DRM_FORMAT_MOD_INVALID; }, 1, 0,
	 "the format's own planes"},
	{[](uint64_t m) { return m == I915_FORMAT_MOD_Y_TILED_CCS || m == I915_FORMAT_MOD_Yf_TILED_CCS; }, 1, 1,
	 "drm_fourcc.h:553-557: main surface plane 0, CCS plane 1 (8:8:8:8 RGB only)"},
	{[](uint64_t m) { return m == I915_FORMAT_MOD_Y_TILED_GEN12_RC_CCS; }, 1, 1,
	 "drm_fourcc.h:573-581: main surface plane 0, CCS plane 1"},
	{[](uint64_t m) { return m == I915_FORMAT_MOD_Y_TILED_GEN12_MC_CCS; }, 2, 0,
	 "drm_fourcc.h:583-594: a CCS plane after each plane (NV12: Y, UV, Y CCS, UV CCS)"},
	{[](uint64_t m) { return m == I915_FORMAT_MOD_Y_TILED_GEN12_RC_CCS_CC; }, 1, 2,
	 "drm_fourcc.h:596-613: main surface plane 0, CCS plane 1, clear colour plane 2"},
	{isAmdDcc, 1, 1, "drm_fourcc.h:1464-1466: main surface plane 0, DCC plane 1"},
	{isAmdDccRetile, 1, 2,
	 "drm_fourcc.h:1468-1471: main surface plane 0, displayable DCC plane 1, pipe-aligned DCC plane 2"},
	{[](uint64_t m) { return vendorOf(m) == DRM_FORMAT_MOD_VENDOR_AMD; }, 1, 0,
	 "drm_fourcc.h:1462-1463: without DCC, the main surface"},
	{[](uint64_t m) { return vendorOf(m) == DRM_FORMAT_MOD_VENDOR_INTEL; }, 1, 0,
	 "drm_fourcc.h: Intel tiled layouts without CCS keep the format's planes"},
	{[](uint64_t m) { return vendorOf(m) == DRM_FORMAT_MOD_VENDOR_ARM; }, 1, 0,
	 "Documentation/gpu/afbc.rst:78-86: as many AFBC planes as the linear format has"},
	{[](uint64_t m) { return vendorOf(m) == DRM_FORMAT_MOD_VENDOR_BROADCOM; }, 1, 0,
	 "drm_fourcc.h: Broadcom T-tiled and SAND layouts keep the format's planes"},
	{[](uint64_t m) { return m == DRM_FORMAT_MOD_QCOM_COMPRESSED; }, 1, 0,
	 "drm_fourcc.h:755-765: metadata and pixels in the format's own planes (msm's dpu reads no extra plane)"},
	{[](uint64_t m) { return vendorOf(m) == DRM_FORMAT_MOD_VENDOR_VIVANTE; }, 1, 0,
	 "drm_fourcc.h: Vivante tiled layouts keep the format's planes"},
	{[](uint64_t m) { return vendorOf(m) == DRM_FORMAT_MOD_VENDOR_AMLOGIC; }, 1, 0,
	 "drm_fourcc.h: Amlogic FBC keeps header and payload in the format's planes"},
};

} // namespace

ModifierPlanes memoryPlanes(uint32_t format, uint64_t modifier)
{
	const FormatInfo *info = findFormat(format);
	for (const ModifierRule &rule : kRules)
		if (rule.matches(modifier))
			return {info ? info->planeCount * rule.perFormatPlane + rule.added : 0, rule.source};
	return {0, "no fact of this modifier"};
}

} // namespace hbm
