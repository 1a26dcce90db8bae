// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <hbm/allocator.hpp>
#include <hbm/refusal.hpp>

namespace hbm {

/// The end (exclusive) of the highest "System RAM" range in /proc/iomem, or 0 when unknown
/// (the kernel shows real addresses to root only). Read once per process.
uint64_t systemRamTop();

/// The same, from /proc/iomem's text: a pure function, for tests.
uint64_t systemRamTopFrom(std::string_view iomem);

/// A /proc/meminfo field ("MemAvailable", "CmaFree") in bytes, read now; 0 if absent.
uint64_t meminfoBytes(std::string_view field);

/// The same, from /proc/meminfo's text: a pure function, for tests.
uint64_t meminfoBytesFrom(std::string_view meminfo, std::string_view field);

/// What the machine's memory is, in bytes, as /proc/meminfo says; 0 is unknown (not read).
struct MemoryFacts {
	uint64_t total = 0;     ///< MemTotal: the RAM the kernel manages
	uint64_t available = 0; ///< MemAvailable: what can be allocated now without swapping
};

/// The one memory budget of the allocator seam: why a request of @size bytes from
/// @allocator cannot fit, as Rejection{OutOfMemory, value: @size, limit: what it can give}
/// with a fix naming where that limit comes from — or nothing when it may. What is
/// compared depends on when the allocator's memory really exists (MemoryCommit): its
/// maxSize, the RAM, and for memory committed at allocation MemAvailable (when known).
/// A pure function, for tests.
std::optional<Refusal> memoryShortfall(uint64_t size, const AllocatorInfo &allocator, const MemoryFacts &facts);

/// memoryShortfall() past its common case.
std::optional<Refusal> weighMemory(uint64_t size, const AllocatorInfo &allocator, uint64_t total);

/// This machine's RAM (MemTotal), read once per process: RAM does not change under a
/// process (memory hotplug aside).
inline uint64_t ramBytes()
{
	static const uint64_t total = meminfoBytes("MemTotal");
	return total;
}

/// The same with this machine's numbers: MemTotal is read once per process, MemAvailable
/// only when the answer depends on it (memory committed at allocation, and a request of at
/// least 1/1024 of the RAM: below that a read of /proc/meminfo costs more than the
/// allocation, and a machine that cannot give it is out of memory whatever hbm does).
/// Inline, the common case: a buffer far smaller than RAM, under no declared limit.
inline std::optional<Refusal> memoryShortfall(uint64_t size, const AllocatorInfo &allocator)
{
	const uint64_t total = ramBytes();
	if (size < total / 1024 && !allocator.maxSize)
		return std::nullopt;
	return weighMemory(size, allocator, total);
}

} // namespace hbm
