// SPDX-License-Identifier: MIT
// What the KMS sources share: the device's state and the table of driver quirks.
#pragma once

#include "drm_node.hpp"

#include <memory>
#include <string>
#include <sys/types.h>

#include <hbm/kms.hpp>
#include <hbm/unique_fd.hpp>

#include "drm_objects.hpp"
#include "gem_handle_table.hpp"
#include "import_probe.hpp"

namespace hbm {

// Hidden: a nested class takes the exported class's visibility otherwise.
struct __attribute__((visibility("hidden"))) KmsDevice::Private {
	UniqueFd fd;
	std::string path;
	std::string driver;
	dev_t device = 0; ///< st_rdev of the node
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

/// Whether a KMS device can scan out memory another exporter made, and on whose word.
struct ForeignImportFinding {
	bool ownMemoryOnly = false; ///< only the device's own (dumb, GBM) buffers will do
	std::string sentence;       ///< for participants' sources and errors: what, and how it was learnt
};

/// The finding for @device (its node open at @fd, driver @driver): the import probe's
/// answer (made now with a page from @makePage if it is not null and no answer was kept in
/// this process, else only if kept), else the quirk table's ImportsOwnMemoryOnly, else
/// foreign memory assumed importable — each saying so.
ForeignImportFinding foreignImportFinding(int fd, dev_t device, const std::string &driver,
					  const ForeignPageFn *makePage);

} // namespace hbm
