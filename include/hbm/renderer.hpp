// SPDX-License-Identifier: MIT
#pragma once

// What memory a renderer can use: one table, shared by libhbm-egl (an EGL display knows
// its Mesa driver) and libhbm-wayland (a client knows only the compositor's main device,
// so the kernel driver behind it), so that both express the same device fact the same way.

#include <string>
#include <string_view>

#include <hbm/export.h>

namespace hbm {

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
HBM_EXPORT const RendererQuirk *findRendererQuirk(std::string_view kernelDriver, std::string_view mesaDriver);

} // namespace hbm
