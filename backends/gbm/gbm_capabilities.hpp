// SPDX-License-Identifier: MIT
// What GBM on a DRM device is declared to make, from the device's planes: a pure function,
// built without libgbm, so that a unit test and a device snapshot's model
// (src/snapshot_model.cpp) use the same rule as the allocator.
#pragma once

#include <cstdint>
#include <vector>

#include <string>
#include <sys/types.h>

#include <hbm/format_set.hpp>

#include "backends/allocator.hpp"

namespace hbm::gbm {

/// One KMS plane's formats as the DRM device states them: the IN_FORMATS pairs, or (a
/// driver without IN_FORMATS) each of the plane's formats with LINEAR and INVALID.
struct PlaneFormats {
	uint32_t planeId = 0;
	FormatSet formats;
};

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

/// What GBM on the DRM device at @node (driver @driver, number @device) with these @planes
/// declares: capabilitiesFromPlanes(), the device's own memory. The one declaration, for a
/// live device and for a snapshot's model (src/snapshot_model.cpp).
AllocatorInfo gbmInfo(const std::string &node, const std::string &driver, dev_t device,
		      const std::vector<PlaneFormats> &planes);

} // namespace hbm::gbm
