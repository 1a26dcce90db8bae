// SPDX-License-Identifier: MIT
// The one table of display-driver quirks: each row names the driver, the behaviour buffers
// must be shaped for, and where the kernel shows it (src/kms/driver_quirks.cpp).
#pragma once

#include <string>

namespace hbm {

/// Behaviour of a display driver that buffers must be shaped for.
enum class DriverQuirk {
	/// Built on DRM's GEM DMA helpers: without an IOMMU it scans out only physically
	/// contiguous memory.
	DmaHelpers,
	/// Adds framebuffer offsets twice: only a buffer at offset 0 of its dma-buf shows.
	ReadsOffsetsTwice,
	/// Imports no dma-buf it did not make. Used only when the import probe
	/// (src/kms/import_probe.hpp) cannot answer: the probe is what decides.
	ImportsOwnMemoryOnly,
};

struct DriverQuirkEntry {
	const char *driver; ///< the DRM driver name (DRM_IOCTL_VERSION)
	DriverQuirk quirk;
	const char *reason; ///< completes "<driver> …" in sentences users read
	const char *source; ///< where the kernel shows it (file:line, Linux version)
};

/// The entry for @quirk of @driver, or nullptr if the driver does not have it.
const DriverQuirkEntry *findDriverQuirk(const std::string &driver, DriverQuirk quirk);

} // namespace hbm
