// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include <sys/types.h>

#include <hbm/export.h>
#include <hbm/result.hpp>

namespace hbm {

/// A DRM device known by number (a compositor's main device, an EGL display's device).
struct DrmDeviceName {
	std::string node;   ///< "/dev/dri/card1"
	std::string driver; ///< DRM_IOCTL_VERSION's name ("vkms")
};

/// The node in /dev/dri whose st_rdev is @device and its kernel driver. The node is opened
/// only to ask (and closed); a primary node that made this open DRM master is given master
/// back at once, so a compositor is never displaced. ENODEV: no such node on this machine.
HBM_EXPORT Result<DrmDeviceName> findDrmDevice(dev_t device);

} // namespace hbm
