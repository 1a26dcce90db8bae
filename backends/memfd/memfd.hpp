// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>

#include <hbm/unique_fd.hpp>

#include "backends/allocator.hpp"

namespace hbm::memfd {

/// Plain shared memory for machines without dma-buf support. Its buffers say they are
/// not device-importable, and CPU access needs no sync on them.
class MemfdAllocator final : public ByteAllocator
{
public:
	static std::unique_ptr<MemfdAllocator> create();

private:
	using ByteAllocator::ByteAllocator;
	Result<void> doAllocateBytes(const ByteRequest &request, Bytes &out) override;
};

} // namespace hbm::memfd
