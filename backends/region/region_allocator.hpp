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
class RegionAllocator final : public ByteAllocator
{
public:
	/// @memory was allocated from the heap described by @heap; its real size (lseek) must be
	/// @size, or the region is refused.
	static Result<std::unique_ptr<RegionAllocator>> create(const std::string &name, SharedFd memory, uint64_t size,
							       const AllocatorInfo &heap, const std::string &algorithm);
	/// A region named @name of @size bytes carved now from @heap, a byte allocator, as one
	/// allocation of exactly @size bytes, sub-allocated by @algorithm. A size of 0, not a
	/// multiple of the page, or above what the heap or the machine's RAM could give is
	/// refused with the value and the limit.
	static Result<std::unique_ptr<RegionAllocator>> carve(const std::string &name, Allocator &heap, uint64_t size,
							      const std::string &algorithm);
	~RegionAllocator() override;

	uint64_t freeBytes() const;
	uint64_t largestFree() const;

private:
	RegionAllocator(AllocatorInfo info, std::shared_ptr<RegionState> state);
	Result<void> doAllocateBytes(const ByteRequest &request, Bytes &out) override;
	std::shared_ptr<RegionState> state_;
};

} // namespace hbm::region
