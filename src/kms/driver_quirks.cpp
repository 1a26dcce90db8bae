// SPDX-License-Identifier: MIT
#include "driver_quirks.hpp"

namespace hbm {

namespace {

/// A display driver whose buffers are GEM DMA objects (DRM_GEM_DMA_DRIVER_OPS or its own
/// drm_gem_dma_dumb_create_internal() caller, at @source).
constexpr DriverQuirkEntry dmaHelpers(const char *driver, const char *source)
{
	return {driver, DriverQuirk::DmaHelpers, "scans out through DRM's GEM DMA helpers", source};
}

// Every driver quirk hbm knows, with where the kernel shows it (Linux 6.12). Drivers not
// listed as DMA helpers either have their own MMU/GART (i915, amdgpu, …) or are virtual
// (vkms, virtio_gpu).
constexpr DriverQuirkEntry kDriverQuirks[] = {
	// vkms reads framebuffers from vkms_plane_state's frame_info->map, copied from the
	// shadow plane's `data`, which drm_gem_fb_vmap() has already advanced by
	// fb->offsets[i] — then adds fb->offsets[0] again.
	{"vkms", DriverQuirk::ReadsOffsetsTwice, "adds framebuffer offsets twice",
	 "drivers/gpu/drm/vkms/vkms_plane.c:117,128, vkms_formats.c:14, drm_gem_framebuffer_helper.c:375"},
	// What the import probe finds on 6.12, for when it cannot be made (no foreign exporter).
	{"virtio_gpu", DriverQuirk::ImportsOwnMemoryOnly,
	 "imports no dma-buf it did not make (virtgpu_gem_prime_import_sg_table() returns -ENODEV)",
	 "drivers/gpu/drm/virtio/virtgpu_prime.c:187-211, Linux 6.12"},
	dmaHelpers("arcpgu", "drivers/gpu/drm/tiny/arcpgu.c:374"),
	dmaHelpers("aspeed-gfx-drm", "drivers/gpu/drm/aspeed/aspeed_gfx_drv.c:248"),
	dmaHelpers("atmel-hlcdc", "drivers/gpu/drm/atmel-hlcdc/atmel_hlcdc_dc.c:842"),
	dmaHelpers("fsl-dcu-drm", "drivers/gpu/drm/fsl-dcu/fsl_dcu_drm_drv.c:173"),
	dmaHelpers("hdlcd", "drivers/gpu/drm/arm/hdlcd_drv.c:230"),
	dmaHelpers("imx-dcss", "drivers/gpu/drm/imx/dcss/dcss-kms.c:30"),
	dmaHelpers("imx-lcdif", "drivers/gpu/drm/mxsfb/lcdif_drv.c:245"),
	dmaHelpers("ingenic-drm", "drivers/gpu/drm/ingenic/ingenic-drm-drv.c:962"),
	dmaHelpers("kirin", "drivers/gpu/drm/hisilicon/kirin/kirin_drm_ade.c:927"),
	dmaHelpers("logicvc-drm", "drivers/gpu/drm/logicvc/logicvc_drm.c:57"),
	dmaHelpers("mali-dp", "drivers/gpu/drm/arm/malidp_drv.c:564"),
	dmaHelpers("mcde", "drivers/gpu/drm/mcde/mcde_drv.c:214"),
	dmaHelpers("meson", "drivers/gpu/drm/meson/meson_drv.c:100"),
	dmaHelpers("mxsfb-drm", "drivers/gpu/drm/mxsfb/mxsfb_drv.c:333"),
	dmaHelpers("pl111", "drivers/gpu/drm/pl111/pl111_drv.c:226"),
	dmaHelpers("rcar-du", "drivers/gpu/drm/renesas/rcar-du/rcar_du_kms.c:424"),
	dmaHelpers("rzg2l-du", "drivers/gpu/drm/renesas/rz-du/rzg2l_du_kms.c:83"),
	dmaHelpers("sprd", "drivers/gpu/drm/sprd/sprd_drm.c:58"),
	dmaHelpers("stm", "drivers/gpu/drm/stm/drv.c:68"),
	dmaHelpers("sun4i-drm", "drivers/gpu/drm/sun4i/sun4i_drv.c:57"),
	dmaHelpers("tidss", "drivers/gpu/drm/tidss/tidss_drv.c:111"),
	dmaHelpers("tilcdc", "drivers/gpu/drm/tilcdc/tilcdc_drv.c:491"),
	dmaHelpers("tve200", "drivers/gpu/drm/tve200/tve200_drv.c:151"),
	dmaHelpers("vc4", "drivers/gpu/drm/vc4/vc4_drv.c:214"),
	dmaHelpers("zynqmp-dpsub", "drivers/gpu/drm/xlnx/zynqmp_kms.c:404"),
};

} // namespace

const DriverQuirkEntry *findDriverQuirk(const std::string &driver, DriverQuirk quirk)
{
	for (const DriverQuirkEntry &entry : kDriverQuirks)
		if (entry.quirk == quirk && driver == entry.driver)
			return &entry;
	return nullptr;
}

} // namespace hbm
