// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>

#include <hbm/unique_fd.hpp>

#include "backends/allocator.hpp"

namespace hbm::udmabuf {

/// memfd pages made into a dma-buf by /dev/udmabuf (what wlroots and libcamera use when
/// there is no heap). The memfd is sealed against shrinking, as the driver demands, and
/// its size rounded to pages.
class UdmabufAllocator final : public ByteAllocator
{
public:
	static Result<std::unique_ptr<UdmabufAllocator>> create(const std::string &device = "/dev/udmabuf");

private:
	UdmabufAllocator(AllocatorInfo info, UniqueFd dev) : ByteAllocator(std::move(info)), dev_(std::move(dev)) {}
	Result<void> doAllocateBytes(const ByteRequest &request, Bytes &out) override;
	UniqueFd dev_;
};

} // namespace hbm::udmabuf
