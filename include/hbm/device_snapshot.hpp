// SPDX-License-Identifier: MIT
// What hbm learns of a KMS device, as one plain value with two sources: a live device
// (KmsDevice::snapshot(), through libdrm) and a `drm_info -j` dump (parseDrmInfo(): the
// JSON drm_info 2.4 prints, keyed by device node, which users paste into bug reports).
// planeParticipants() makes the planes' participants from either, so a live device and its
// dump give the same participants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

#include <hbm/allocator.hpp>
#include <hbm/export.h>
#include <hbm/negotiation.hpp>
#include <hbm/participant.hpp>
#include <hbm/result.hpp>

namespace hbm {

struct Config;

/// One plane as the kernel describes it.
struct PlaneSnapshot {
	uint32_t id = 0;
	PlaneType type = PlaneType::Overlay;
	uint32_t possibleCrtcs = 0;
	/// The plane's format list (GETPLANE), in the driver's order.
	std::vector<uint32_t> formats;
	/// IN_FORMATS as format x modifier pairs, in the blob's order (modifier by modifier);
	/// empty with hasInFormats false for a plane without the property.
	std::vector<std::pair<uint32_t, uint64_t>> inFormats;
	bool hasInFormats = false;

	bool operator==(const PlaneSnapshot &) const = default;
};

/// A fact with where it came from ("IOMMU group 3 (DMA)", "declared: --no-iommu").
template <typename T> struct SnapshotFact {
	T value{};
	std::string source;
	bool operator==(const SnapshotFact &) const = default;
};

/// A KMS device: what the kernel says (planes, sizes, caps) and the facts a dump does not
/// carry (which device number, IOMMU, foreign import), each with its source.
struct DeviceSnapshot {
	std::string origin;  ///< "/dev/dri/card1", or "vkms.json: /dev/dri/card0"
	std::string node;    ///< the device node's path (a dump's key)
	std::string driver;  ///< kernel driver name
	uint32_t maxWidth = 0, maxHeight = 0;       ///< largest framebuffer (mode_config)
	uint32_t cursorWidth = 0, cursorHeight = 0; ///< DRM_CAP_CURSOR_*; 0 when not told
	bool addFb2Modifiers = false;               ///< DRM_CAP_ADDFB2_MODIFIERS
	std::vector<PlaneSnapshot> planes;

	/// Facts beyond the kernel's description. A live snapshot fills them from the device
	/// (st_rdev, sysfs, the import probe or the quirk table); a dump leaves them unset, and
	/// declareFacts() sets them from configuration or the command line.
	std::optional<SnapshotFact<dev_t>> device;
	std::optional<SnapshotFact<bool>> behindIommu;
	std::optional<SnapshotFact<bool>> ownMemoryOnly;
	std::string sysfsPath; ///< live only: /sys/devices/…, for configuration rules
};

/// The snapshots a `drm_info -j` dump holds, one per device node key ("/dev/dri/…"), in
/// the file's order; other top-level keys (drm_info prints none; corpus files carry
/// "source") are not devices and are skipped. @name names the file in errors. What hbm
/// reads must have drm_info's shape; what it does not read (connectors, other properties)
/// is not looked at. Refused, naming @name, the place (a jq path, or line:column for
/// text that is not JSON) and what was expected: not JSON, not drm_info's shape, a value of
/// the wrong type or range, more than 32 planes or 64 formats on a plane (the kernel's
/// limits, drm_plane.c), an IN_FORMATS format the plane does not list, more than 1024
/// modifiers on a plane, a plane with no formats, no device at all, text over 16 MiB.
HBM_EXPORT Result<std::vector<DeviceSnapshot>> parseDrmInfo(std::string_view json, const std::string &name);

/// Reads and parses the dump at @path.
HBM_EXPORT Result<std::vector<DeviceSnapshot>> readDrmInfo(const std::string &path);

/// @snapshots as `drm_info -j` prints them, where the facts overlap (driver name, caps,
/// fb_size, planes with type, formats and IN_FORMATS); what only hbm knows (IOMMU, foreign
/// import) goes under an "x_hbm" key drm_info does not have.
HBM_EXPORT std::string toDrmInfoJson(const std::vector<DeviceSnapshot> &snapshots);

/// Facts declared for a dump's device; unset ones stay as they were.
struct DeclaredDeviceFacts {
	std::optional<dev_t> device;
	std::optional<bool> behindIommu;
	std::optional<bool> ownMemoryOnly;
};
/// Sets @snapshot's facts from @facts, each with @source as where it came from.
HBM_EXPORT void declareFacts(DeviceSnapshot &snapshot, const DeclaredDeviceFacts &facts, const std::string &source);

/// Every plane of @snapshot as a participant: formats and modifiers from IN_FORMATS (else
/// the format list, LINEAR or implicit), the largest framebuffer (the cursor size for a
/// cursor plane), the driver quirks (contiguous memory unless an IOMMU maps it, buffers
/// read from offset 0), memory local to the device when it imports only its own. A fact
/// the snapshot lacks is assumed the way a live device's would be before learning it
/// (no IOMMU known: contiguous for a DMA-helper driver; import: assumed possible), and each
/// participant's source says where every fact came from.
HBM_EXPORT std::vector<Participant> planeParticipants(const DeviceSnapshot &snapshot);

/// How the allocators of a snapshot's machine are modelled, for planning without it.
struct SnapshotModel {
	/// "gbm:<driver>": what the device's planes list, each format also LINEAR and
	/// implicit — the rule hbm's GBM allocator declares on a live device.
	bool gbm = true;
	/// "dumb:<driver>": LINEAR, of every format hbm lays out.
	bool dumb = true;
	/// "dma-heap:system": scattered pages.
	bool systemHeap = true;
	/// "dma-heap:cma": physically contiguous, this many bytes (0: no CMA heap).
	uint64_t cmaBytes = 256ull << 20;
};

/// The allocators @model says @snapshot's machine has, in the order a context tries them
/// (scattered heaps, GBM, dumb buffers, then contiguous memory). The device's own (GBM,
/// dumb) are local to its device number, and physically contiguous for a driver on DRM's
/// DMA helpers unless an IOMMU maps it.
HBM_EXPORT std::vector<AllocatorInfo> modelledAllocators(const DeviceSnapshot &snapshot,
							 const SnapshotModel &model = {});

/// What hbm would choose on @snapshot's machine for @request and @participants (planes of
/// the snapshot, declared devices …), negotiated exactly as a context negotiates, against
/// modelledAllocators(): the plan or the refusal, with its reasons, limits and names.
/// @config's device rules (hbm.toml's [device.NAME], matched by drm_driver) apply to the
/// participants as a context applies its own. Nothing is allocated, and the plan is bound
/// to no allocator: Context::allocate() refuses it, as it refuses an empty plan. Its trace
/// begins by saying it is modelled.
HBM_EXPORT Result<Plan> planOnSnapshot(const DeviceSnapshot &snapshot, const Request &request,
				       const std::vector<Participant> &participants, const SnapshotModel &model = {},
				       const Config *config = nullptr);

} // namespace hbm
