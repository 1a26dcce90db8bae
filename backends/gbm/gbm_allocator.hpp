// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "backends/allocator.hpp"

namespace hbm::gbm {

struct GbmDevice;

/// Mesa GBM on a DRM node: the driver's own layouts and modifiers. An implicit modifier
/// (DRM_FORMAT_MOD_INVALID) is produced only if the request allows it; LINEAR is produced
/// by GBM_BO_USE_LINEAR where the driver cannot take a modifier list.
class GbmAllocator final : public Allocator
{
public:
	static Result<std::unique_ptr<GbmAllocator>> create(DrmNode node);
	~GbmAllocator() override;

private:
	GbmAllocator(AllocatorInfo info, std::shared_ptr<GbmDevice> device);
	Result<Allocation> doAllocate(const AllocationRequest &request) override;
	std::shared_ptr<GbmDevice> device_;
	/// The driver could not honour a LINEAR-only modifier list once (it failed, or made a
	/// bo whose modifier it cannot name, as kms_swrast does): later LINEAR-only requests
	/// go straight to GBM_BO_USE_LINEAR instead of allocating twice.
	std::atomic<bool> linearListRefused_{false};
};

} // namespace hbm::gbm
