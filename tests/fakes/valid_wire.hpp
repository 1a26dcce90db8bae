// SPDX-License-Identifier: MIT
// The one valid wire descriptor the sharing tests start from and then break: 64x64
// XRGB8888, LINEAR, one plane of stride 256 at offset 0 in one fd (src/share_wire.hpp).
#pragma once

#include <drm_fourcc.h>

#include "share_wire.hpp"

namespace hbm::test {

inline WireDescriptor validWire()
{
	WireDescriptor w = {};
	w.header = {kWireMagic, kShareVersion, sizeof(WireDescriptor)};
	w.width = 64;
	w.height = 64;
	w.format = DRM_FORMAT_XRGB8888;
	w.modifier = DRM_FORMAT_MOD_LINEAR;
	w.planeCount = 1;
	w.fdCount = 1;
	w.planes[0] = {0, 256, 0};
	return w;
}

} // namespace hbm::test
