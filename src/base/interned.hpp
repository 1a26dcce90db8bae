// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace hbm {

/// The one copy of @text, kept for the life of the process: names a buffer carries (its
/// allocator's, "import") are pointed to, not copied per buffer. Few and short: one per
/// allocator name a process has seen. Thread-safe; the reference is stable.
const std::string &interned(std::string_view text);

} // namespace hbm
