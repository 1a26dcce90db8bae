// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <hbm/constraints.hpp>
#include <hbm/layout.hpp>
#include <hbm/result.hpp>

namespace hbm {

/// What is known of storage that already exists, for checking a late participant.
struct ExistingStorage {
	const Layout &layout;
	const std::string &origin;       ///< allocator name, "import" or "received"
	std::optional<bool> contiguous;  ///< unknown for imported memory
	std::optional<bool> cached;
	uint64_t physicalTop = 0;        ///< end of system RAM (0: unknown)
};

/// Whether @participant can use the buffer as it is: its format and modifier, strides and
/// offsets, size, and placement. The refusal names what does not fit.
Result<void> checkAgainstStorage(const Participant &participant, const ExistingStorage &storage);

} // namespace hbm
