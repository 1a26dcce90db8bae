// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hbm/heap.hpp>
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

/// Opens @heap and allocates @size bytes from it, with an error naming the heap.
Result<UniqueFd> allocate(const HeapInfo &heap, uint64_t size);

} // namespace hbm::dma_heap

#include "backends/allocator.hpp"

namespace hbm::dma_heap {

/// One allocator per heap. The heap device stays open, so an allocation is one ioctl.
class DmaHeapAllocator final : public ByteAllocator
{
public:
	static Result<std::unique_ptr<DmaHeapAllocator>> create(const HeapInfo &heap);

private:
	DmaHeapAllocator(AllocatorInfo info, UniqueFd heapFd)
		: ByteAllocator(std::move(info)), heapFd_(std::move(heapFd))
	{
	}
	Result<Bytes> doAllocateBytes(const ByteRequest &request) override;
	UniqueFd heapFd_;
};

} // namespace hbm::dma_heap
