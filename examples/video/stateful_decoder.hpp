// SPDX-License-Identifier: MIT
// The bitstream side of a stateful V4L2 decoder, as the kernel's "Memory-to-Memory
// Stateful Video Decoder Interface" describes it (Documentation/userspace-api/media/v4l/
// dev-decoder.rst): feed the stream through the OUTPUT queue, wait for the source-change
// event that says the size, set up CAPTURE, drain with V4L2_DEC_CMD_STOP at the end.
// Over hbm's public headers and linux/videodev2.h only: copy it.
#pragma once

#include <cstdint>
#include <vector>

#include "m2m_queue.hpp"

namespace video {

/// Feeds @stream (a whole bitstream in memory) to @device and reports what the caller must
/// act on: a decoded frame on the CAPTURE queue, a source change (set CAPTURE up for the new
/// size, then call next() again), or the end. The CAPTURE queue's buffers are the caller's
/// business (its own MMAP buffers, or dma-bufs it imports).
class StatefulDecoder
{
public:
	StatefulDecoder(hbm::V4l2Device &device, const std::vector<uint8_t> &stream);
	/// Subscribes to the events, sets the OUTPUT format (@codedFormat, e.g.
	/// V4L2_PIX_FMT_FWHT) and starts feeding.
	hbm::Result<void> start(uint32_t codedFormat);

	enum class Step { Frame, SourceChange, End };
	struct Event {
		Step step = Step::End;
		M2mQueue::Done done; ///< Step::Frame: the CAPTURE buffer (bytesUsed 0: empty)
	};
	/// Waits for the next thing to act on; ETIMEDOUT when the decoder makes no progress
	/// for 10 s.
	hbm::Result<Event> next();

	M2mQueue &capture() { return capture_; }
	hbm::V4l2Device &device() const { return device_; }

private:
	hbm::V4l2Device &device_;
	const std::vector<uint8_t> &stream_;
	M2mQueue bitstream_, capture_;
	uint32_t inputs_ = 0, nextInput_ = 0, freeInputs_ = 0;
	size_t fed_ = 0;
	bool stopped_ = false;
	bool sawLast_ = false; ///< the CAPTURE buffer flagged LAST was taken
};

} // namespace video
