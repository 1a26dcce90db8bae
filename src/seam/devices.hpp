// SPDX-License-Identifier: MIT
// Device lookups every hbm library asks the same way: a character device's sysfs directory
// (what `[device.NAME] match.sysfs_path` rules and the IOMMU rule read) and a DRM file's
// kernel driver (DRM_IOCTL_VERSION: vkms and vgem have no sysfs driver link to read).
#pragma once

#include "seam.hpp"

#include <string>
#include <sys/types.h>

namespace hbm_seam {

/// /sys/dev/char/MAJOR:MINOR/device of the character device @device, resolved to its
/// /sys/devices/… directory (unresolved if it cannot be).
HBM_SEAM std::string sysfsDeviceOf(dev_t device);

/// The kernel driver of the DRM device open at @fd (DRM_IOCTL_VERSION's name); empty when
/// @fd is not a DRM device or does not answer.
HBM_SEAM std::string drmDriverOf(int fd);

} // namespace hbm_seam
