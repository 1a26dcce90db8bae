// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

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

/// A DRM card node of this machine and what asking it said.
struct DrmCard {
	std::string node;   ///< "/dev/dri/card1"
	std::string driver; ///< DRM_IOCTL_VERSION's name; empty when it could not be asked
	std::string error;  ///< why it could not be asked ("cannot open DRM device …"), else empty
};

/// Every /dev/dri/card* node in numeric order (card2 before card10), each opened only to
/// ask its driver and closed, master given back as findDrmDevice() does. For tools that
/// list a machine; a compositor knows its device already.
HBM_EXPORT std::vector<DrmCard> listDrmCards();

} // namespace hbm
