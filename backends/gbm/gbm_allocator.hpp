// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <hbm/format_set.hpp>
#include <hbm/unique_fd.hpp>

#include "backends/allocator.hpp"
#include "backends/gbm/gbm_capabilities.hpp"

namespace hbm::gbm {

struct GbmDevice;



/// Mesa GBM on a DRM node: the driver's own layouts and modifiers. An implicit modifier
/// (DRM_FORMAT_MOD_INVALID) is produced only if the request allows it; LINEAR is produced
/// by GBM_BO_USE_LINEAR where the driver cannot take a modifier list.
///
/// The gbm_device is made at the first allocation, not at probe: making one loads a Mesa
/// driver, which takes time and memory and, for a kernel driver Mesa has no driver of its
/// own for (vkms, vgem), prints MESA-LOADER lines on stderr. A program that never
/// allocates from GBM never pays for it.
class GbmAllocator final : public Allocator
{
public:
	/// GBM on @node, declaring what its KMS @planes say (capabilitiesFromPlanes(); the
	/// registry reads them with src/kms's readPlanes(), the one reader of a device's planes).
	/// GBM will be made on @node's fd at the first allocation; an empty fd (a fake device)
	/// makes every allocation fail with ENODEV.
	static Result<std::unique_ptr<GbmAllocator>> create(DrmNode node, const std::vector<PlaneFormats> &planes);
	~GbmAllocator() override;

private:
	GbmAllocator(AllocatorInfo info, UniqueFd fd);
	Result<void> doAllocate(const AllocationRequest &request, Allocation &out) override;
	/// The gbm_device (device_), made once by the first caller, or why it cannot be. Once
	/// made it never changes: later calls read it without std::call_once, and nothing is
	/// copied until a bo needs to hold it (docs/performance.md, eighth round).
	Result<const std::shared_ptr<GbmDevice> *> device()
	{
		if (deviceMade_.load(std::memory_order_acquire))
			return &device_;
		return makeDevice();
	}
	Result<const std::shared_ptr<GbmDevice> *> makeDevice();

	UniqueFd fd_; ///< handed to the GbmDevice when it is made
	std::once_flag deviceOnce_;
	std::shared_ptr<GbmDevice> device_; ///< set once, under deviceOnce_
	std::atomic<bool> deviceMade_{false}; ///< device_ is set, for good
	std::string deviceError_;
	/// The driver could not honour a LINEAR-only modifier list once (it failed, or made a
	/// bo whose modifier it cannot name, as kms_swrast does): later LINEAR-only requests
	/// go straight to GBM_BO_USE_LINEAR instead of allocating twice.
	std::atomic<bool> linearListRefused_{false};
	/// gbm_device_is_format_supported() per known format (index in knownFormats()), asked
	/// once per allocator: 0 not asked yet, 1 yes, 2 no. The driver's answer does not change.
	std::unique_ptr<std::atomic<uint8_t>[]> formatSupported_;
};

} // namespace hbm::gbm
