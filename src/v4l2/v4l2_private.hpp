// SPDX-License-Identifier: MIT
// What the V4L2 source shares with the test rig (not exported).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <hbm/result.hpp>
#include <hbm/v4l2.hpp>

namespace hbm {

/// The first /dev/video* (numeric order) that opens and that @wanted accepts. Otherwise
/// ENODEV saying what was found — "no V4L2 <what> (found: /dev/video0 (vicodec), …)" — or,
/// when a node could not be opened, that node's error: it may have been the one.
Result<std::shared_ptr<V4l2Device>> firstV4l2Device(const std::function<bool(const V4l2Device &)> &wanted,
						    const std::string &what);

/// VIDIOC_S_FMT of @layout (V4L2 pixel format @pixelformat) answered with @chosen: null when
/// the queue takes the layout as it is; otherwise EINVAL, @queue's refusal as data — each
/// difference a Rejection set by @queue (FormatNotTaken, FixedSize, FixedStride,
/// FixedTooSmall) — its subject naming @what ("/dev/video0 capture queue (vicodec)"). That
/// the queue wants more dma-bufs a buffer than one has no reason code: it is said in words.
std::optional<Error> layoutNotTaken(const std::string &what, const V4l2QueueIdentity &queue, const Layout &layout,
				    uint32_t pixelformat, const V4l2Device::Format &chosen);

} // namespace hbm
