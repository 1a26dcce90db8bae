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

} // namespace hbm::test
