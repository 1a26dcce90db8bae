// SPDX-License-Identifier: MIT
#pragma once

#include "backends/allocator.hpp"

namespace hbm::test {

/// A request for one image with one acceptable @modifier, which the request borrows: keep
/// it alive as long as the request.
inline AllocationRequest imageRequest(uint32_t width, uint32_t height, uint32_t format, const uint64_t &modifier)
{
	AllocationRequest request;
	request.width = width;
	request.height = height;
	request.format = format;
	request.modifiers = std::span<const uint64_t>(&modifier, 1);
	return request;
}

/// An allocation of @layout with every plane in @fd of @fdSize bytes, for fakes that make
/// one to hand back (scripted, or broken on purpose) rather than writing it in place.
inline Allocation singleFdAllocation(Layout layout, SharedFd fd, uint64_t fdSize)
{
	Allocation a;
	a.layout = std::move(layout);
	a.holdAllPlanesIn(std::move(fd), fdSize);
	return a;
}

/// Allocator::allocate() for tests that look at what the seam checked and kept.
inline Result<Allocation> allocateChecked(Allocator &allocator, const AllocationRequest &request)
{
	Allocation out;
	if (Result<void> made = allocator.allocate(request, out); !made)
		return made.error();
	return out;
}

} // namespace hbm::test
