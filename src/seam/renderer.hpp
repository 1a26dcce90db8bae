// SPDX-License-Identifier: MIT
// What memory a renderer can use: one table, shared by libhbm-egl (an EGL display knows
// its Mesa driver) and libhbm-wayland (a client knows only the compositor's main device,
// so the kernel driver behind it), so that both express the same device fact the same way.

#pragma once

#include "seam.hpp"

#include <string>
#include <string_view>

#include <hbm/config.hpp>

namespace hbm_seam {

using hbm::Config;

/// A renderer that can sample and draw only memory made by its own DRM device, and why.
struct RendererQuirk {
	std::string_view mesaDriver;   ///< Mesa's driver name ("kms_swrast"), or "" for any
	std::string_view kernelDriver; ///< the DRM kernel driver ("vkms"), or "" for any
	std::string_view reason;       ///< why only its own memory works
	std::string_view source;       ///< where that was established
	/// Its implicit layout (DRM_FORMAT_MOD_INVALID) is linear: it has no tiling, so a
	/// linear buffer handed over without a modifier is read as what it is. A compositor on
	/// it that lists only INVALID takes linear memory sent as INVALID.
	bool implicitIsLinear = false;
};

/// The table's entry for a renderer on a DRM device of @kernelDriver whose Mesa driver is
/// @mesaDriver ("" when unknown, as for a Wayland client guessing its compositor's
/// renderer); null when nothing restricts it.
HBM_SEAM const RendererQuirk *findRendererQuirk(std::string_view kernelDriver, std::string_view mesaDriver);

/// Whether a renderer can use only memory its own DRM device made, and on whose word.
struct RendererLocality {
	bool deviceLocal = false;
	std::string reason; ///< why (empty when not device-local by the table)
	std::string source; ///< the table's source, or "configuration FILE [renderer.NAME]"
};

/// The answer for a renderer on a DRM device of @kernelDriver whose Mesa driver is
/// @mesaDriver: the first of @config's `[renderer.NAME]` rules that matches decides (so a
/// measured driver is added, or a table entry turned off, without a rebuild); else the
/// built-in table (findRendererQuirk()). @config may be null.
HBM_SEAM RendererLocality rendererLocality(const Config *config, std::string_view kernelDriver,
					     std::string_view mesaDriver);

} // namespace hbm_seam
