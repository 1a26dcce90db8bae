// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hbm {

/// The entries of @dir whose names start with @prefix, as full paths, sorted: the one way
/// hbm lists /dev/dri/card*, /dev/video* and the like. A missing directory is an empty list.
std::vector<std::string> deviceNodes(const std::string &dir, std::string_view prefix);

} // namespace hbm
