// SPDX-License-Identifier: MIT
#pragma once

// The bounds of hbm_allocator_v1 (protocol/hbm-allocator-v1.xml), shared by its client and
// compositor sides in libhbm-wayland: a request past them is a protocol error.

#include <cstdint>

#include <hbm/allocator.hpp>

namespace hbm::wayland {

inline constexpr uint32_t kAllocatorMaxFormats = 64;    ///< add_format requests per allocation
inline constexpr uint32_t kAllocatorMaxDimension = 16384; ///< width and height
inline constexpr uint32_t kAllocatorMaxCount = 16;      ///< buffers per submit
inline constexpr uint32_t kAllocatorDryRun = 1;         ///< hbm_allocation_v1.flags.dry_run
/// hbm_allocation_v1.usage: hbm::Usage's bits, all of them.
inline constexpr uint32_t kAllocatorUsageBits =
	UsageScanout | UsageRender | UsageTexture | UsageCursor | UsageCpuRead | UsageCpuWrite;

} // namespace hbm::wayland
