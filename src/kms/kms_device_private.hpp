// SPDX-License-Identifier: MIT
// What the KMS sources share: the device's state and the table of driver quirks.
#pragma once

#include "base/drm_node.hpp"

#include <memory>
#include <string>
#include <sys/types.h>

#include <hbm/device_snapshot.hpp>
#include <hbm/kms.hpp>
#include <hbm/unique_fd.hpp>

#include "base/drm_objects.hpp"
#include "gem_handle_table.hpp"
#include "driver_quirks.hpp"
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
/// Every plane of the DRM device @fd as the kernel lists it (formats, IN_FORMATS pairs in
/// the blob's order), with libdrm alone: no GBM, so no Mesa driver is loaded. Asks for
/// universal planes first (primary and cursor planes are listed only then). Empty for a
/// device without KMS planes (render-only, like vgem). The one reader of a device's planes:
/// KmsDevice::snapshot() and the GBM allocator's declaration both use it.
std::vector<PlaneSnapshot> readPlanes(int fd);

/// What @plane scans out, as pairs: its IN_FORMATS, or (a driver without them) each of
/// its formats LINEAR and implicit — the one reading of a snapshot's plane.
FormatSet formatsOf(const PlaneSnapshot &plane);

/// Without an answer of the device's own: the quirk table's ImportsOwnMemoryOnly for
/// @driver, else foreign memory assumed importable; @notProbed says why there is no answer.
ForeignImportFinding quirkOrAssumedImport(const std::string &driver, const std::string &notProbed);

} // namespace hbm
