// SPDX-License-Identifier: MIT
// Whether an IOMMU translates a device's DMA, and the one rule that follows from it for a
// device that does DMA: contiguous memory unless an IOMMU maps it.
#pragma once

#include "seam/devices.hpp"

#include <string>

#include <sys/types.h>

#include <hbm/constraints.hpp>

namespace hbm {

/// What sysfs says of a device's IOMMU.
struct IommuState {
	/// An IOMMU translates the device's DMA addresses: scattered pages look contiguous to it.
	bool translated = false;
	/// Why, for sentences: "IOMMU group 3 (DMA)", "no iommu_group in /sys/devices/…",
	/// "IOMMU group 3 in identity (passthrough) mode".
	std::string why;
};

/// The IOMMU state of the device whose sysfs directory is @sysfsDevice
/// (/sys/devices/…, what Participant::sysfsPath holds). An IOMMU group
/// (`iommu_group`) translates unless its default domain is `identity` (passthrough:
/// iommu=pt) or `blocked` (drivers/iommu/iommu.c iommu_group_show_type(), Linux 6.12); a
/// group without a `type` file (before Linux 5.11) is taken as translating. An empty path
/// is a device sysfs does not know: not translated.
IommuState iommuOf(const std::string &sysfsDevice);

using hbm_seam::sysfsDeviceOf; // src/seam/devices.hpp

/// The one rule for a device that does DMA (a display driver on DRM's DMA helpers, a
/// device a `[device.RULE] contiguous_without_iommu` names): it needs physically
/// contiguous memory unless an IOMMU translates its addresses (@iommu, read from its
/// sysfsPath). Sets @placement.contiguous accordingly and returns the decision with its
/// reason, for the participant's source: "contiguous unless an IOMMU maps it: no
/// iommu_group in /sys/devices/…, so contiguous" or "…: IOMMU group 3 (DMA) maps it, so
/// scattered allowed".
std::string contiguousUnlessIommu(Placement &placement, const IommuState &iommu);

} // namespace hbm
