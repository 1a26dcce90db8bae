// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

#include <hbm/result.hpp>
#include <hbm/unique_fd.hpp>

namespace hbm {

/// The page size (sysconf), read once.
uint64_t pageSize();

/// @size rounded up to whole pages.
uint64_t pageRound(uint64_t size);

/// memfd_create(MFD_ALLOW_SEALING) of @size bytes with @seals added (F_SEAL_SHRINK …):
/// the memfd allocator's storage and the pages udmabuf turns into a dma-buf.
Result<UniqueFd> createSealedMemfd(const char *name, uint64_t size, int seals);

} // namespace hbm
