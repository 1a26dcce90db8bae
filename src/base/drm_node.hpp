// SPDX-License-Identifier: MIT
// The one place a DRM node is opened or adopted, for allocators and for KmsDevice alike.
#pragma once

#include <string>
#include <sys/types.h>

#include <hbm/result.hpp>
#include <hbm/unique_fd.hpp>

namespace hbm {

/// A DRM device hbm works on: its own descriptor, what to call it, its driver and its
/// device number (what device-local placement compares).
struct DrmNode {
	UniqueFd fd;
	std::string path;   ///< "/dev/dri/card1", or what an adopted descriptor points at
	std::string name;   ///< for messages: the path, or "DRM fd 7 (/dev/dri/card0)"
	std::string driver; ///< DRM_IOCTL_VERSION's name
	dev_t device = 0;   ///< st_rdev
};

/// What an open does about DRM master. The first opener of a primary node becomes master;
/// hbm needs none for what it does itself, so it lets go unless the caller owns the display.
enum class DrmMaster {
	Drop, ///< let go of master if this open took it
	Take, ///< become master (refused, naming the node, while a compositor holds it)
	Keep, ///< leave it as it is (an adopted descriptor: master is the caller's business)
};

/// Opens the DRM node @path and settles master as @master says. Refuses what is not a DRM
/// device, naming it.
Result<DrmNode> openDrmNode(const std::string &path, DrmMaster master);

/// A duplicate of the caller's DRM descriptor @fd (the same open file: GEM handles, client
/// capabilities and master state are shared, as with gbm_create_device()). Master is
/// neither taken nor dropped. Refuses a descriptor that is not open or not a DRM device.
Result<DrmNode> adoptDrmNode(int fd);

} // namespace hbm
