// SPDX-License-Identifier: MIT
// What the V4L2 source shares with the test rig (not exported).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <hbm/result.hpp>
#include <hbm/v4l2.hpp>

namespace hbm {

/// The first /dev/video* (numeric order) that opens and that @wanted accepts. Otherwise
/// ENODEV saying what was found — "no V4L2 <what> (found: /dev/video0 (vicodec), …)" — or,
/// when a node could not be opened, that node's error: it may have been the one.
Result<std::shared_ptr<V4l2Device>> firstV4l2Device(const std::function<bool(const V4l2Device &)> &wanted,
						    const std::string &what);

} // namespace hbm
