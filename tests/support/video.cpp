// SPDX-License-Identifier: MIT
#include <hbm-test/video.hpp>

#include <algorithm>
#include <chrono>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/videodev2.h>

#include "v4l2/v4l2_private.hpp"
#include "error.hpp"
#include "kernel_ioctl.hpp"
#include "string_format.hpp"

// Returns the error of a failed step.
#define TRY(expr)                          \
	do {                               \
		if (auto step_ = (expr); !step_) \
			return step_.error();  \
		} while (0)

namespace hbm::test {

namespace {

uint32_t bufType(hbm::V4l2Queue which, bool mplane)
{
	if (which == hbm::V4l2Queue::Capture)
		return mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	return mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_OUTPUT;
}

const char *queueName(uint32_t type)
{
	return V4L2_TYPE_IS_OUTPUT(type) ? "OUTPUT" : "CAPTURE";
}

} // namespace

VideoQueue::VideoQueue(V4l2Device &device, hbm::V4l2Queue which)
	: device_(device), which_(which), fd_(device.fd()), type_(bufType(which, device.multiplanar(which))), mplane_(device.multiplanar(which))
{
}

VideoQueue::~VideoQueue()
{
	if (streaming_)
		(void)streamOff();
	if (memory_)
		(void)request(0, memory_);
}

void VideoQueue::unmapAll()
{
	for (Map &m : maps_)
		if (m.data)
			::munmap(m.data, m.length);
	maps_.clear();
}

Result<V4l2Device::Format> VideoQueue::setFormat(uint32_t pixelformat, uint32_t width, uint32_t height,
						 uint32_t sizeImage)
{
	return device_.setPixelFormat(which_, pixelformat, width, height, sizeImage);
}

Result<uint32_t> VideoQueue::request(uint32_t count, uint32_t memory)
{
	unmapAll();
	struct v4l2_requestbuffers req = {};
	req.count = count;
	req.type = type_;
	req.memory = memory;
	if (int ret = retryingIoctl(fd_, VIDIOC_REQBUFS, &req); ret < 0)
		return makeError(-ret, "VIDIOC_REQBUFS of %u %s buffers failed", count, queueName(type_));
	memory_ = req.count ? memory : 0;
	if (memory != V4L2_MEMORY_MMAP)
		return req.count;
	for (uint32_t i = 0; i < req.count; ++i) {
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
		struct v4l2_buffer buf = {};
		buf.index = i;
		buf.type = type_;
		buf.memory = memory;
		if (mplane_) {
			buf.m.planes = planes;
			buf.length = VIDEO_MAX_PLANES;
		}
		if (int ret = retryingIoctl(fd_, VIDIOC_QUERYBUF, &buf); ret < 0)
			return makeError(-ret, "VIDIOC_QUERYBUF of %s buffer %u failed", queueName(type_), i);
		const size_t length = mplane_ ? planes[0].length : buf.length;
		const off_t offset = mplane_ ? planes[0].m.mem_offset : buf.m.offset;
		void *data = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, offset);
		if (data == MAP_FAILED)
			return makeError(errno, "cannot map %s buffer %u (%zu bytes)", queueName(type_), i, length);
		maps_.push_back({static_cast<uint8_t *>(data), length});
	}
	return req.count;
}

namespace {

Result<void> queueBuffer(int fd, uint32_t type, bool mplane, uint32_t memory, uint32_t index, int dmabuf,
			 uint32_t length, uint32_t bytesUsed)
{
	struct v4l2_plane plane = {};
	struct v4l2_buffer buf = {};
	buf.index = index;
	buf.type = type;
	buf.memory = memory;
	buf.field = V4L2_FIELD_NONE;
	if (mplane) {
		plane.bytesused = bytesUsed;
		plane.length = length;
		if (memory == V4L2_MEMORY_DMABUF)
			plane.m.fd = dmabuf;
		buf.m.planes = &plane;
		buf.length = 1;
	} else {
		buf.bytesused = bytesUsed;
		buf.length = length;
		if (memory == V4L2_MEMORY_DMABUF)
			buf.m.fd = dmabuf;
	}
	if (int ret = retryingIoctl(fd, VIDIOC_QBUF, &buf); ret < 0)
		return makeError(-ret, "VIDIOC_QBUF of %s buffer %u failed", queueName(type), index);
	return {};
}

} // namespace

Result<void> VideoQueue::queueMmap(uint32_t index, uint32_t bytesUsed)
{
	if (index >= maps_.size())
		return makeError(EINVAL, "no MMAP buffer %u on the %s queue", index, queueName(type_));
	return queueBuffer(fd_, type_, mplane_, V4L2_MEMORY_MMAP, index, -1, uint32_t(maps_[index].length), bytesUsed);
}

Result<void> VideoQueue::queueDmabuf(uint32_t index, int fd, uint32_t length)
{
	return queueBuffer(fd_, type_, mplane_, V4L2_MEMORY_DMABUF, index, fd, length, 0);
}

Result<VideoQueue::Done> VideoQueue::dequeue()
{
	struct v4l2_plane plane = {};
	struct v4l2_buffer buf = {};
	buf.type = type_;
	buf.memory = memory_;
	if (mplane_) {
		buf.m.planes = &plane;
		buf.length = 1;
	}
	if (int ret = retryingIoctl(fd_, VIDIOC_DQBUF, &buf); ret < 0)
		return makeError(-ret, "VIDIOC_DQBUF of the %s queue failed", queueName(type_));
	Done done;
	done.index = buf.index;
	done.flags = buf.flags;
	done.bytesUsed = mplane_ ? plane.bytesused : buf.bytesused;
	if (memory_ == V4L2_MEMORY_DMABUF)
		done.fd = mplane_ ? plane.m.fd : buf.m.fd;
	return done;
}

Result<void> VideoQueue::streamOn()
{
	int type = int(type_);
	if (int ret = retryingIoctl(fd_, VIDIOC_STREAMON, &type); ret < 0)
		return makeError(-ret, "VIDIOC_STREAMON of the %s queue failed", queueName(type_));
	streaming_ = true;
	return {};
}

Result<void> VideoQueue::streamOff()
{
	int type = int(type_);
	streaming_ = false;
	if (int ret = retryingIoctl(fd_, VIDIOC_STREAMOFF, &type); ret < 0)
		return makeError(-ret, "VIDIOC_STREAMOFF of the %s queue failed", queueName(type_));
	return {};
}

Frame movingPicture(uint32_t width, uint32_t height, uint32_t index)
{
	Frame f{width, height, std::vector<uint32_t>(size_t(width) * height)};
	const uint32_t bar = (index * 37) % width;
	for (uint32_t y = 0; y < height; ++y)
		for (uint32_t x = 0; x < width; ++x) {
			const uint32_t r = (x * 255) / width, g = (y * 255) / height;
			const uint32_t b = (x >= bar && x < bar + width / 8) ? 255 : ((x / 32 + y / 32 + index) % 2) * 96;
			f.pixels[size_t(y) * width + x] = 0xff000000u | r << 16 | g << 8 | b;
		}
	return f;
}

Result<std::shared_ptr<V4l2Device>> openVideoByFormat(hbm::V4l2Queue queue, uint32_t pixelformat)
{
	return firstV4l2Device(
		[&](const V4l2Device &dev) {
			const uint32_t type = bufType(queue, dev.multiplanar(queue));
			for (uint32_t i = 0;; ++i) {
				struct v4l2_fmtdesc desc = {};
				desc.index = i;
				desc.type = type;
				if (retryingIoctl(dev.fd(), VIDIOC_ENUM_FMT, &desc) != 0)
					return false;
				if (desc.pixelformat == pixelformat)
					return true;
			}
		},
		stringf("device whose %s queue takes %.4s", queue == hbm::V4l2Queue::Capture ? "capture" : "output",
			reinterpret_cast<const char *>(&pixelformat)));
}

namespace {

Result<void> subscribe(const V4l2Device &device, uint32_t type)
{
	struct v4l2_event_subscription sub = {};
	sub.type = type;
	if (int ret = retryingIoctl(device.fd(), VIDIOC_SUBSCRIBE_EVENT, &sub); ret < 0)
		return makeError(-ret, "%s: cannot subscribe to event %u", device.path().c_str(), type);
	return {};
}

/// Waits for @fd to be ready for @events.
Result<void> waitFor(int fd, short events, int timeoutMs, const char *what)
{
	struct pollfd pfd = {fd, events, 0};
	int n = ::poll(&pfd, 1, timeoutMs);
	if (n < 0)
		return makeError(errno, "poll while waiting for %s", what);
	if (n == 0)
		return makeError(ETIMEDOUT, "no %s within %d ms", what, timeoutMs);
	return {};
}

constexpr int kTimeoutMs = 10000;

/// Encodes frames of one size; appends to @stream.
Result<void> encodeRun(const std::vector<Frame> &frames, size_t begin, size_t end, std::vector<uint8_t> &stream)
{
	auto encoder = openVideoByFormat(hbm::V4l2Queue::Capture, V4L2_PIX_FMT_FWHT);
	if (!encoder)
		return encoder.error();
	const Frame &first = frames[begin];
	VideoQueue raw(**encoder, hbm::V4l2Queue::Output), coded(**encoder, hbm::V4l2Queue::Capture);
	auto rawFormat = raw.setFormat(V4L2_PIX_FMT_XBGR32, first.width, first.height);
	if (!rawFormat)
		return rawFormat.error();
	if (rawFormat->width != first.width || rawFormat->height != first.height ||
	    rawFormat->bytesPerLine != first.width * 4)
		return makeError(EINVAL, "the encoder takes %ux%u XBGR32 as %ux%u, %u bytes a row", first.width, first.height,
				 rawFormat->width, rawFormat->height, rawFormat->bytesPerLine);
	if (auto c = coded.setFormat(V4L2_PIX_FMT_FWHT, first.width, first.height); !c)
		return c.error();
	if (auto n = raw.request(1, V4L2_MEMORY_MMAP); !n)
		return n.error();
	if (auto n = coded.request(1, V4L2_MEMORY_MMAP); !n)
		return n.error();
	TRY(raw.streamOn());
	TRY(coded.streamOn());
	for (size_t i = begin; i < end; ++i) {
		const Frame &f = frames[i];
		const size_t bytes = f.pixels.size() * 4;
		if (raw.length(0) < bytes)
			return makeError(ENOSPC, "encoder buffer of %zu bytes for a %zu-byte frame", raw.length(0), bytes);
		std::memcpy(raw.data(0), f.pixels.data(), bytes);
		TRY(raw.queueMmap(0, uint32_t(bytes)));
		TRY(coded.queueMmap(0, 0));
		TRY(waitFor((*encoder)->fd(), POLLIN, kTimeoutMs, "encoded frame"));
		auto out = coded.dequeue();
		if (!out)
			return out.error();
		if (out->flags & V4L2_BUF_FLAG_ERROR)
			return makeError(EIO, "the encoder failed frame %zu", i);
		stream.insert(stream.end(), coded.data(0), coded.data(0) + out->bytesUsed);
		TRY(waitFor((*encoder)->fd(), POLLOUT, kTimeoutMs, "raw buffer back"));
		if (auto back = raw.dequeue(); !back)
			return back.error();
	}
	return {};
}

} // namespace

Result<std::vector<uint8_t>> encodeFwht(const std::vector<Frame> &frames)
{
	std::vector<uint8_t> stream;
	size_t begin = 0;
	while (begin < frames.size()) {
		size_t end = begin + 1;
		while (end < frames.size() && frames[end].width == frames[begin].width &&
		       frames[end].height == frames[begin].height)
			++end;
		TRY(encodeRun(frames, begin, end, stream));
		begin = end;
	}
	return stream;
}

StatefulDecoder::StatefulDecoder(V4l2Device &device, const std::vector<uint8_t> &stream)
	: device_(device), stream_(stream), bitstream_(device, hbm::V4l2Queue::Output),
	  capture_(device, hbm::V4l2Queue::Capture)
{
}

Result<void> StatefulDecoder::start()
{
	TRY(subscribe(device_, V4L2_EVENT_SOURCE_CHANGE));
	TRY(subscribe(device_, V4L2_EVENT_EOS));
	// The size is the stream's business: the source-change event tells it.
	if (auto f = bitstream_.setFormat(V4L2_PIX_FMT_FWHT, 640, 480); !f)
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
			TRY(bitstream_.queueMmap(nextInput_, uint32_t(chunk)));
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
			if (int ret = retryingIoctl(device_.fd(), VIDIOC_DECODER_CMD, &cmd); ret < 0 && ret != -EBUSY)
				return makeError(-ret, "V4L2_DEC_CMD_STOP failed");
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
		for (struct v4l2_event ev = {}; retryingIoctl(device_.fd(), VIDIOC_DQEVENT, &ev) == 0; ev = {})
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
			return makeError(ETIMEDOUT, "the decoder %s made no progress for %d ms", device_.path().c_str(),
					 kTimeoutMs);
		// A decoder with nothing queued polls as an error at once: wait a little then.
		struct pollfd pfd = {device_.fd(), POLLIN | POLLOUT | POLLPRI, 0};
		if (::poll(&pfd, 1, 100) > 0 && (pfd.revents & POLLERR))
			::usleep(1000);
	}
}

Result<std::vector<Frame>> decodeFwhtReference(const std::vector<uint8_t> &stream)
{
	auto device = openVideoByFormat(hbm::V4l2Queue::Output, V4L2_PIX_FMT_FWHT);
	if (!device)
		return device.error();
	StatefulDecoder decoder(**device, stream);
	TRY(decoder.start());
	VideoQueue &raw = decoder.capture();
	std::vector<Frame> frames;
	V4l2Device::Format format;
	for (;;) {
		auto event = decoder.next();
		if (!event)
			return makeError(event.error().code, "%s (after %zu frames)", event.error().message.c_str(), frames.size());
		if (event->step == StatefulDecoder::Step::End)
			return frames;
		if (event->step == StatefulDecoder::Step::SourceChange) {
			// (Re)start the CAPTURE queue at the stream's new size, as XBGR32; the
			// driver takes a new format only with no buffers allocated.
			if (raw.streaming())
				TRY(raw.streamOff());
			if (auto freed = raw.request(0, V4L2_MEMORY_MMAP); !freed)
				return freed.error();
			auto now = (*device)->format(hbm::V4l2Queue::Capture);
			if (!now)
				return now.error();
			auto set = raw.setFormat(V4L2_PIX_FMT_XBGR32, now->width, now->height);
			if (!set)
				return set.error();
			format = *set;
			auto bufs = raw.request(4, V4L2_MEMORY_MMAP);
			if (!bufs)
				return bufs.error();
			for (uint32_t i = 0; i < *bufs; ++i)
				TRY(raw.queueMmap(i, 0));
			TRY(raw.streamOn());
			continue;
		}
		const VideoQueue::Done &done = event->done;
		if (done.bytesUsed && !(done.flags & V4L2_BUF_FLAG_ERROR)) {
			Frame f{format.width, format.height, std::vector<uint32_t>(size_t(format.width) * format.height)};
			for (uint32_t y = 0; y < format.height; ++y)
				std::memcpy(&f.pixels[size_t(y) * format.width],
					    raw.data(done.index) + size_t(y) * format.bytesPerLine, size_t(format.width) * 4);
			frames.push_back(std::move(f));
		}
		if (!(done.flags & V4L2_BUF_FLAG_LAST))
			TRY(raw.queueMmap(done.index, 0));
	}
}

} // namespace hbm::test
