// SPDX-License-Identifier: MIT
// What the KMS sources share: the device's state and the table of driver quirks.
#pragma once

#include "drm_node.hpp"

#include <memory>
#include <string>

#include <hbm/kms.hpp>
#include <hbm/unique_fd.hpp>

#include "drm_objects.hpp"
#include "gem_handle_table.hpp"

namespace hbm {

// Hidden: a nested class takes the exported class's visibility otherwise.
struct __attribute__((visibility("hidden"))) KmsDevice::Private {
	UniqueFd fd;
	std::string path;
	std::string driver;
	std::unique_ptr<GemHandleTable> gem;
	bool addfb2Modifiers = false; ///< DRM_CAP_ADDFB2_MODIFIERS: ADDFB2 takes modifiers

	/// A KmsDevice on @node (opened or adopted by src/drm_node.hpp, master settled).
	static Result<std::shared_ptr<KmsDevice>> make(DrmNode node);

	static const Private &of(const KmsDevice &device) { return *device.d_; }
	Result<void> commit(drmModeAtomicReq *req, uint32_t flags, const char *what);
};

/// Behaviour of a display driver that buffers must be shaped for.
enum class DriverQuirk {
	/// Built on DRM's GEM DMA helpers: without an IOMMU it scans out only physically
	/// contiguous memory.
	DmaHelpers,
	/// Adds framebuffer offsets twice: only a buffer at offset 0 of its dma-buf shows.
	ReadsOffsetsTwice,
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
