// SPDX-License-Identifier: MIT
#include "stateful_decoder.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <poll.h>
#include <string>
#include <unistd.h>

#include <linux/videodev2.h>

using hbm::Error;
using hbm::Result;

namespace video {

namespace {

constexpr int kTimeoutMs = 10000;

Result<void> subscribe(const hbm::V4l2Device &device, uint32_t type)
{
	struct v4l2_event_subscription sub = {};
	sub.type = type;
	if (int ret = xioctl(device.fd(), VIDIOC_SUBSCRIBE_EVENT, &sub); ret < 0)
		return Error{-ret, device.path() + ": cannot subscribe to event " + std::to_string(type)};
	return {};
}

} // namespace

StatefulDecoder::StatefulDecoder(hbm::V4l2Device &device, const std::vector<uint8_t> &stream)
	: device_(device), stream_(stream), bitstream_(device, hbm::V4l2Queue::Output),
	  capture_(device, hbm::V4l2Queue::Capture)
{
}

Result<void> StatefulDecoder::start(uint32_t codedFormat)
{
	for (uint32_t event : {V4L2_EVENT_SOURCE_CHANGE, V4L2_EVENT_EOS})
		if (auto subscribed = subscribe(device_, event); !subscribed)
			return subscribed;
	// The size is the stream's business (the source-change event tells it); the OUTPUT
	// format only needs one the driver takes.
	if (auto f = bitstream_.setFormat(codedFormat, 640, 480); !f)
		return f.error();
	auto count = bitstream_.request(2, V4L2_MEMORY_MMAP);
	if (!count)
		return count.error();
	inputs_ = freeInputs_ = *count;
	return bitstream_.streamOn();
}

Result<StatefulDecoder::Event> StatefulDecoder::next()
{
	auto lastProgress = std::chrono::steady_clock::now();
	for (;;) {
		bool progress = false;
		while (freeInputs_ && fed_ < stream_.size()) {
			const size_t chunk = std::min(bitstream_.length(nextInput_), stream_.size() - fed_);
			std::memcpy(bitstream_.data(nextInput_), stream_.data() + fed_, chunk);
			if (auto q = bitstream_.queueMmap(nextInput_, uint32_t(chunk)); !q)
				return q.error();
			fed_ += chunk;
			nextInput_ = (nextInput_ + 1) % inputs_;
			--freeInputs_;
			progress = true;
		}
		// All fed: drain. A CAPTURE restart (after a source change) ends a drain, so
		// it is asked for again then.
		if (fed_ == stream_.size() && !stopped_ && capture_.streaming()) {
			struct v4l2_decoder_cmd cmd = {};
			cmd.cmd = V4L2_DEC_CMD_STOP;
			// EBUSY: a drain from before the restart is still under way.
			if (int ret = xioctl(device_.fd(), VIDIOC_DECODER_CMD, &cmd); ret < 0 && ret != -EBUSY)
				return Error{-ret, device_.path() + ": V4L2_DEC_CMD_STOP failed"};
			stopped_ = true;
			sawLast_ = false;
		}
		// Frames first: a source change comes after the last frame of the old size.
		if (capture_.streaming() && !sawLast_) {
			auto done = capture_.dequeue();
			if (done) {
				sawLast_ = done->flags & V4L2_BUF_FLAG_LAST;
				return Event{Step::Frame, *done};
			}
			if (done.error().code != EAGAIN && done.error().code != EPIPE)
				return done.error();
		}
		// The buffer flagged LAST ends the stream, or only this size of it (the decoder
		// queued a source-change event before it).
		for (struct v4l2_event ev = {}; xioctl(device_.fd(), VIDIOC_DQEVENT, &ev) == 0; ev = {})
			if (ev.type == V4L2_EVENT_SOURCE_CHANGE) {
				if (capture_.streaming())
					stopped_ = false;
				sawLast_ = false;
				return Event{Step::SourceChange, {}};
			}
		if (sawLast_ && stopped_)
			return Event{Step::End, {}};
		if (bitstream_.streaming())
			if (auto back = bitstream_.dequeue(); back) {
				++freeInputs_;
				progress = true;
			}
		if (progress)
			lastProgress = std::chrono::steady_clock::now();
		else if (std::chrono::steady_clock::now() - lastProgress > std::chrono::milliseconds(kTimeoutMs))
			return Error{ETIMEDOUT, "the decoder " + device_.path() + " made no progress for " +
							std::to_string(kTimeoutMs) + " ms"};
		// A decoder with nothing queued polls as an error at once: wait a little then.
		struct pollfd pfd = {device_.fd(), POLLIN | POLLOUT | POLLPRI, 0};
		if (::poll(&pfd, 1, 100) > 0 && (pfd.revents & POLLERR))
			::usleep(1000);
	}
}

} // namespace video
