// SPDX-License-Identifier: MIT
// What GBM on a DRM device is declared to make, from the device's planes: a pure function,
// built without libgbm, so that a unit test and a device snapshot's model
// (src/snapshot_model.cpp) use the same rule as the allocator.
#pragma once

#include <cstdint>
#include <vector>

#include <hbm/format_set.hpp>

namespace hbm::gbm {

/// One KMS plane's formats as the DRM device states them: the IN_FORMATS pairs, or (a
/// driver without IN_FORMATS) each of the plane's formats with LINEAR and INVALID.
struct PlaneFormats {
	uint32_t planeId = 0;
	FormatSet formats;
};

/// Reads the formats of every plane of the DRM device @fd with libdrm alone (no GBM, so no
/// Mesa driver is loaded). Empty for a device without KMS planes (render-only, like vgem).
std::vector<PlaneFormats> readPlaneFormats(int fd);

/// What GBM on a device with these @planes is declared to make — a pure function, so a
/// unit test can feed a fake device. The union of the planes' pairs (a vendor's tiled
/// modifiers included), each format also with LINEAR (GBM_BO_USE_LINEAR) and INVALID (the
/// driver's implicit layout); formats hbm cannot describe are left out. Without planes
/// (render-only) nothing says what the driver renders: XRGB8888 and ARGB8888, the two
/// formats GBM names in its own gbm_bo_format, with LINEAR and INVALID.
/// Whether the driver really makes a format is asked of GBM at the first allocation.
/// TODO(egl): when libhbm-egl lands, add what eglQueryDmaBufModifiersEXT says of the
/// renderer (the modifiers it can sample), which is more than the planes scan out.
FormatSet capabilitiesFromPlanes(const std::vector<PlaneFormats> &planes);

} // namespace hbm::gbm
