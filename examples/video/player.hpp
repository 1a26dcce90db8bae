// SPDX-License-Identifier: MIT
// A video player's decode-to-display loop on hbm, with no copy: a stateful V4L2 decoder
// writes each frame into a buffer hbm negotiated for the decoder's CAPTURE queue AND the
// display's primary plane; that dma-buf becomes the framebuffer; a buffer goes back to the
// decoder only after the flip that took it off the screen. When the stream changes size
// (the decoder's source-change event) the player negotiates again.
// Over hbm's public headers, libdrm and linux/videodev2.h only: copy it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <hbm/hbm.hpp>

#include "display.hpp"
#include "stateful_decoder.hpp"

namespace video {

class Player
{
public:
	struct Options {
		uint32_t codedFormat = 0; ///< the stream's V4L2 pixel format (V4L2_PIX_FMT_FWHT …)
		/// The usual loop, as a baseline: the decoder writes its own (MMAP) buffers and the
		/// CPU copies each frame into a scanout buffer.
		bool copy = false;
		uint32_t poolSize = 4;
	};
	/// A frame on the screen: the buffer the display scans out, and (zero-copy) the dma-buf
	/// the decoder said it wrote, -1 in copy mode.
	struct Shown {
		size_t index = 0;
		const hbm::Buffer &buffer;
		int decodedFd = -1;
	};
	/// What the player tells whoever watches it (all optional).
	struct Hooks {
		/// A pool was negotiated (at the start and at each source change).
		std::function<void(const hbm::BufferPool &)> negotiated;
		/// @buffer goes to the decoder, which will write it.
		std::function<void(const hbm::Buffer &)> queued;
		/// A frame is on the screen (the flip completed); an error stops the player.
		std::function<hbm::Result<void>(const Shown &)> shown;
	};
	struct Stats {
		size_t shown = 0;
		size_t copies = 0;
		double seconds = 0;    ///< wall time of the loop
		double cpuSeconds = 0; ///< this process's CPU time in it
		bool copy = false;
		/// "frames=… fps=… cpu_us_per_frame=… copies=… mode=…"
		std::string summary() const;
	};

	Player(std::shared_ptr<hbm::Context> context, Display &display, hbm::V4l2Device &decoder, Options options, Hooks hooks = {});

	/// Decodes @stream (a whole bitstream) and shows every frame. Returns once the decoder
	/// has drained.
	hbm::Result<Stats> play(const std::vector<uint8_t> &stream);

private:
	hbm::Result<void> startCapture(M2mQueue &frames);
	hbm::Result<void> queueToDecoder(M2mQueue &frames, hbm::Lease lease);
	hbm::Result<void> refill(M2mQueue &frames);
	hbm::Result<void> show(M2mQueue &frames, const M2mQueue::Done &done);

	std::shared_ptr<hbm::Context> context_;
	Display &display_;
	hbm::V4l2Device &decoder_;
	Options options_;
	Hooks hooks_;
	std::optional<hbm::Participant> primary_;

	// In zero-copy mode the pool's buffers are the decoder's CAPTURE buffers; in copy mode
	// the decoder has its own and the pool holds scanout buffers.
	std::shared_ptr<hbm::BufferPool> pool_;
	std::map<const hbm::Buffer *, uint32_t> indexOf_; ///< pool buffer -> CAPTURE buffer index
	std::map<uint32_t, hbm::Lease> atDecoder_;        ///< CAPTURE index -> the lease queued there
	struct OnScreen {
		hbm::Lease lease;
		std::optional<hbm::Framebuffer> fb;
	} onScreen_;
	hbm::V4l2Device::Format format_;
	Stats stats_;
};

} // namespace video
