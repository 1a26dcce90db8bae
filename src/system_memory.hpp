// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string_view>

namespace hbm {

/// The end (exclusive) of the highest "System RAM" range in /proc/iomem, or 0 when unknown
/// (the kernel shows real addresses to root only). Read once per process.
uint64_t systemRamTop();

/// The same, from /proc/iomem's text: a pure function, for tests.
uint64_t systemRamTopFrom(std::string_view iomem);

} // namespace hbm
