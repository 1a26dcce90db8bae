// SPDX-License-Identifier: MIT
// Video test input and its oracle: a moving picture, vicodec's FWHT encoder to make streams
// of it, and a reference decode into the driver's own (MMAP) buffers. The V4L2 m2m queues
// and the stateful decoder they run on are the video player example's (examples/video/),
// which a user copies; the rig only adds what verifies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hbm/result.hpp>
#include <hbm/v4l2.hpp>

#include "video/m2m_queue.hpp"
#include "video/stateful_decoder.hpp"

namespace hbm::test {

/// A 32-bit frame (V4L2 XBGR32, DRM XRGB8888 in memory), rows packed.
struct Frame {
	uint32_t width = 0;
	uint32_t height = 0;
	std::vector<uint32_t> pixels;
};

/// Frame @index of a moving test picture at @width x @height: gradients and a bar that
/// moves with the index, so that every frame and every row differ.
Frame movingPicture(uint32_t width, uint32_t height, uint32_t index);

/// Encodes @frames with vicodec's stateful FWHT encoder (frames may change size: the
/// encoder is restarted, as a camera changing mode would make it). The byte stream.
Result<std::vector<uint8_t>> encodeFwht(const std::vector<Frame> &frames);

/// Decodes @stream with the stateful FWHT decoder into its own MMAP buffers as XBGR32,
/// following source changes: the reference a zero-copy path must equal.
Result<std::vector<Frame>> decodeFwhtReference(const std::vector<uint8_t> &stream);

} // namespace hbm::test
