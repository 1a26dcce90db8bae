// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>

#include <hbm/shared_fd.hpp>

#include "backends/allocator.hpp"

namespace hbm::region {

struct RegionState;

/// A carve-out of a heap, reserved at start as one dma-buf and sub-allocated: each buffer
/// is a range of it (planes at offsets into the region's dma-buf) holding a reservation
/// that returns the range when the last user of the buffer goes. The region's memory
/// lives as long as any reservation does.
class RegionAllocator final : public Allocator
{
public:
	/// @memory (@size bytes) was allocated from the heap described by @heap.
	static Result<std::unique_ptr<RegionAllocator>> create(const std::string &name, SharedFd memory, uint64_t size,
							       const AllocatorInfo &heap, const std::string &algorithm);
	/// A region named @name of @size bytes carved from @heap now, sub-allocated by @algorithm.
	static Result<std::unique_ptr<RegionAllocator>> carve(const std::string &name, Allocator &heap, uint64_t size,
							      const std::string &algorithm);
	~RegionAllocator() override;

	uint64_t freeBytes() const;
	uint64_t largestFree() const;

private:
	RegionAllocator(AllocatorInfo info, std::shared_ptr<RegionState> state);
	Result<Allocation> doAllocate(const AllocationRequest &request) override;
	std::shared_ptr<RegionState> state_;
};

} // namespace hbm::region
