// SPDX-License-Identifier: MIT
#include <hbm-test/video.hpp>

#include <cerrno>
#include <cstring>
#include <poll.h>

#include <linux/videodev2.h>

#include "base/error.hpp"

// Returns the error of a failed step.
#define TRY(expr)                                \
	do {                                     \
		if (auto step_ = (expr); !step_) \
			return step_.error();    \
	} while (0)

namespace hbm::test {

using video::M2mQueue;
using video::StatefulDecoder;

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

namespace {

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
	auto encoder = video::openByFormat(V4l2Queue::Capture, V4L2_PIX_FMT_FWHT);
	if (!encoder)
		return encoder.error();
	const Frame &first = frames[begin];
	M2mQueue raw(**encoder, V4l2Queue::Output), coded(**encoder, V4l2Queue::Capture);
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

Result<std::vector<Frame>> decodeFwhtReference(const std::vector<uint8_t> &stream)
{
	auto device = video::openByFormat(V4l2Queue::Output, V4L2_PIX_FMT_FWHT);
	if (!device)
		return device.error();
	StatefulDecoder decoder(**device, stream);
	TRY(decoder.start(V4L2_PIX_FMT_FWHT));
	M2mQueue &raw = decoder.capture();
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
			auto now = (*device)->format(V4l2Queue::Capture);
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
		const M2mQueue::Done &done = event->done;
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
