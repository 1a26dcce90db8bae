// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <hbm/heap.hpp>
#include <hbm/refusal.hpp>
#include <hbm/result.hpp>
#include <hbm/unique_fd.hpp>

namespace hbm::dma_heap {

/// Where discovery looks; tests point these at fake trees.
struct Paths {
	std::string devDir = "/dev/dma_heap";
	std::string sysfsCmaDir = "/sys/kernel/mm/cma";
	std::string debugfsCmaDir = "/sys/kernel/debug/cma";
};

/// The heaps under @paths.devDir, sorted by name (see hbm::listHeaps()).
Result<std::vector<HeapInfo>> discover(const Paths &paths = {});

/// DMA_HEAP_IOCTL_ALLOC: @len bytes from the heap open at @heapFd. Returns the new dma-buf
/// fd (O_RDWR | O_CLOEXEC) or -errno. Retries EINTR. Never logs.
int allocIoctl(int heapFd, uint64_t len);

} // namespace hbm::dma_heap

#include "backends/allocator.hpp"

namespace hbm::dma_heap {

/// What a CMA area looks like when an allocation from it failed.
struct CmaState {
	uint64_t total = 0;           ///< CmaTotal
	uint64_t free = 0;            ///< CmaFree
	uint64_t largestFree = 0;     ///< debugfs cma/<area>/maxchunk; 0 unknown
	uint64_t heldByUs = 0;        ///< bytes this process's live buffers hold from the heap
	uint64_t buffersHeldByUs = 0;
};

/// Why the kernel refused a contiguous allocation of @asked bytes from @heap:
/// Rejection{OutOfMemory, value: @asked, limit: what would fit}, the subject saying how
/// much is free, the largest free block and what this process holds, and the fix. A pure
/// function, so the advice is tested for every case.
Refusal cmaShortfall(const std::string &heap, uint64_t asked, const CmaState &state);

/// What the dma-heap @name declares: LINEAR of every format hbm lays out, dma-bufs,
/// @contiguous (CMA) or scattered pages, @cached mappings, and when its memory exists. The
/// one declaration, for a live heap and for a snapshot's model (src/snapshot_model.cpp);
/// a CMA heap's maxSize is the caller's to set (its area).
AllocatorInfo heapInfo(const std::string &name, bool contiguous, bool cached);

/// One allocator per heap. The heap device stays open, so an allocation is one ioctl.
class DmaHeapAllocator final : public ByteAllocator
{
public:
	static Result<std::unique_ptr<DmaHeapAllocator>> create(const HeapInfo &heap);

private:
	struct Held;
	DmaHeapAllocator(AllocatorInfo info, UniqueFd heapFd, std::string area);
	Result<void> doAllocateBytes(const ByteRequest &request, Bytes &out) override;
	UniqueFd heapFd_;
	std::string area_;            ///< the CMA area's name ("" for scattered heaps)
	std::shared_ptr<Held> held_;  ///< what this process's live buffers hold (CMA heaps)
};

} // namespace hbm::dma_heap
