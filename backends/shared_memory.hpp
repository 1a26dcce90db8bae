// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

#include <hbm/result.hpp>
#include <hbm/unique_fd.hpp>

namespace hbm {

/// sysconf(_SC_PAGESIZE); pageSize() is the one to call.
uint64_t readPageSize();

/// The page size (sysconf), read once. Inline: every byte allocation asks it.
inline uint64_t pageSize()
{
	static const uint64_t page = readPageSize();
	return page;
}

/// @size rounded up to whole pages (a page is a power of two: a mask, not a division,
/// which the lab's emulator prices at a helper call).
inline uint64_t pageRound(uint64_t size)
{
	const uint64_t page = pageSize();
	return (size + page - 1) & ~(page - 1);
}

/// memfd_create(MFD_ALLOW_SEALING) of @size bytes with @seals added (F_SEAL_SHRINK …):
/// the memfd allocator's storage and the pages udmabuf turns into a dma-buf.
Result<UniqueFd> createSealedMemfd(const char *name, uint64_t size, int seals);

} // namespace hbm
