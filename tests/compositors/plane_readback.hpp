// SPDX-License-Identifier: MIT
#pragma once
// The pixel oracle for tests with a compositor running: reads the framebuffers on a KMS
// device's planes back (GETFB2 + PRIME export + mmap) while the compositor holds DRM master,
// and looks for an expected image on them. Needs root: GETFB2 hands out GEM handles only to
// the master or CAP_SYS_ADMIN. Links libhbm.so (not the test rig), so the example client and
// lab tests can both use it.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hbm::lab {

struct PlaneSearch {
	bool matched = false;     ///< a plane shows the whole image, pixel for pixel
	std::string description;  ///< where it was found, or what was seen instead
};

/// Looks on every plane of @card (a /dev/dri/cardN path) with a linear XRGB/ARGB8888
/// framebuffer for a @width x @height image whose pixel (x, y) is @expected(x, y) (alpha
/// ignored), at any position. Reads again until it matches or @deadlineMs passes: the last
/// frame may still be on its way to the screen.
PlaneSearch findOnPlanes(const std::string &card, uint32_t width, uint32_t height,
			 const std::function<uint32_t(uint32_t, uint32_t)> &expected, unsigned deadlineMs);

/// One plane's framebuffer as visitPlanes() shows it: mapped and synced for reading.
struct PlaneFramebuffer {
	std::string label; ///< "plane P fb F dma-buf inode N"
	uint32_t planeId = 0;
	bool primary = false;
	uint32_t width = 0, height = 0, pitch = 0;
	uint64_t inode = 0; ///< of the dma-buf it scans out: the same buffer in every process
	const uint8_t *pixels = nullptr;
};

/// Calls @visit on each plane of the DRM device @drm (universal planes set) that shows a
/// linear XRGB/ARGB8888 framebuffer, until it returns true; @seen lists every plane with a
/// framebuffer. An error sentence, or "".
std::string visitPlanes(int drm, const std::function<bool(const PlaneFramebuffer &)> &visit, std::string &seen);

struct PlaneCapture {
	bool ok = false;
	std::string description; ///< the plane read, or what was wrong
	uint32_t width = 0, height = 0;
	uint64_t inode = 0;
	std::vector<uint32_t> pixels; ///< rows packed
};

/// The framebuffer on @card's primary plane, read once.
PlaneCapture capturePrimaryPlane(const std::string &card);

} // namespace hbm::lab
