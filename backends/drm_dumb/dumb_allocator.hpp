// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>

#include <hbm/unique_fd.hpp>

#include "backends/allocator.hpp"

namespace hbm::drm_dumb {

/// What dumb buffers of the KMS device at @node (kernel driver @driver, number @device)
/// declare: LINEAR of every format hbm lays out, the device's own memory. The one
/// declaration, for a live device and for a snapshot's model (src/snapshot_model.cpp).
AllocatorInfo dumbInfo(const std::string &node, const std::string &driver, dev_t device);

/// DRM dumb buffers on a KMS device, exported as dma-bufs by PRIME (minigbm's dumb
/// driver, wlroots' drm_dumb allocator). Any known format: the buffer is one dumb object
/// holding hbm's linear layout, its kernel pitch checked against the layout's stride.
class DumbAllocator final : public Allocator
{
public:
	/// Dumb buffers on @node; refuses devices without DRM_CAP_DUMB_BUFFER or PRIME export.
	static Result<std::unique_ptr<DumbAllocator>> create(DrmNode node);

private:
	DumbAllocator(AllocatorInfo info, UniqueFd drm) : Allocator(std::move(info)), drm_(std::move(drm)) {}
	Result<void> doAllocate(const AllocationRequest &request, Allocation &out) override;
	UniqueFd drm_;
};

} // namespace hbm::drm_dumb
