// SPDX-License-Identifier: MIT
#include "seam/renderer.hpp"

#include <iterator>

namespace hbm_seam {

using namespace hbm;

namespace {

constexpr std::string_view kMapDumbReason =
	"Mesa's kms_swrast maps textures with DRM_IOCTL_MODE_MAP_DUMB, which the kernel refuses for "
	"imported objects: a dma-buf from elsewhere reaches llvmpipe as a NULL mapping and the first "
	"draw faults (eglCreateImage and glEGLImageTargetTexture2DOES still succeed)";
constexpr std::string_view kMapDumbSource =
	"drivers/gpu/drm/drm_gem.c drm_gem_dumb_map_offset() \"Don't allow imported objects to be "
	"mapped\"; measured in the lab with Mesa 22.3.6 (docs/renderers.md)";

// Mesa loads kms_swrast for a KMS device it has no hardware driver for (Mesa's loader; on
// these drivers with MESA_LOADER_DRIVER_OVERRIDE=kms_swrast, as the lab's compositors run).
// Each kernel driver here was measured; others are added when measured, or by configuration.
// kms_swrast draws into dumb buffers only, and dumb buffers are linear: its implicit layout is
// linear (Mesa src/gallium/winsys/sw/kms-dri/kms_dri_sw_winsys.c creates every displaytarget
// with DRM_IOCTL_MODE_CREATE_DUMB and a plain pitch).
constexpr RendererQuirk kQuirks[] = {
	{"kms_swrast", "", kMapDumbReason, kMapDumbSource, true},
	{"", "vkms", kMapDumbReason, kMapDumbSource, true},
	{"", "vgem", kMapDumbReason, kMapDumbSource, true},
};

} // namespace

const RendererQuirk *findRendererQuirk(std::string_view kernelDriver, std::string_view mesaDriver)
{
	for (const RendererQuirk &q : kQuirks) {
		if (!q.mesaDriver.empty() && q.mesaDriver == mesaDriver)
			return &q;
		// A kernel-driver entry is a guess at the Mesa driver: only when that is unknown,
		// or is kms_swrast itself (a hardware driver on the same device would not map dumb).
		if (!q.kernelDriver.empty() && q.kernelDriver == kernelDriver &&
		    (mesaDriver.empty() || mesaDriver == "kms_swrast"))
			return &q;
	}
	return nullptr;
}

RendererLocality rendererLocality(const Config *config, std::string_view kernelDriver, std::string_view mesaDriver)
{
	if (config) {
		for (const RendererRule &rule : config->renderers) {
			if (!rule.drmDriver.empty() && rule.drmDriver != kernelDriver)
				continue;
			if (!rule.mesaDriver.empty() && rule.mesaDriver != mesaDriver)
				continue;
			if (rule.drmDriver.empty() && rule.mesaDriver.empty())
				continue; // the parser refuses such a rule; a hand-made one matches nothing
			RendererLocality out;
			out.deviceLocal = rule.deviceLocal;
			out.reason = rule.deviceLocal ? "declared device-local by configuration" : "";
			out.source = "configuration " + config->origin + " [renderer." + rule.name + "]";
			return out;
		}
	}
	RendererLocality out;
	if (const RendererQuirk *quirk = findRendererQuirk(kernelDriver, mesaDriver)) {
		out.deviceLocal = true;
		out.reason = quirk->reason;
		out.source = quirk->source;
	}
	return out;
}

} // namespace hbm_seam
