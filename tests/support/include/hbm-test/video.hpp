// SPDX-License-Identifier: MIT
// V4L2 memory-to-memory streaming for tests, examples and benchmarks: one queue over the
// single- or the multi-planar API (whichever the device speaks), vicodec's FWHT encoder
// to make streams, and a reference decode into the driver's own (MMAP) buffers.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include <hbm/result.hpp>
#include <hbm/v4l2.hpp>

namespace hbm::test {

/// One queue of a V4L2 m2m device with buffers of one memory plane. The mapping of MMAP
/// buffers is the queue's; buffers are released (REQBUFS 0) when it goes.
class VideoQueue
{
public:
	VideoQueue(V4l2Device &device, hbm::V4l2Queue which);
	~VideoQueue();
	VideoQueue(const VideoQueue &) = delete;
	VideoQueue &operator=(const VideoQueue &) = delete;

	/// V4l2Device::setPixelFormat() of this queue.
	Result<V4l2Device::Format> setFormat(uint32_t pixelformat, uint32_t width, uint32_t height, uint32_t sizeImage = 0);
	/// VIDIOC_REQBUFS of @count buffers of @memory (V4L2_MEMORY_MMAP: also mapped); the
	/// count the driver gave. 0 frees them.
	Result<uint32_t> request(uint32_t count, uint32_t memory);
	/// The mapping of MMAP buffer @index and its length.
	uint8_t *data(uint32_t index) const { return maps_[index].data; }
	size_t length(uint32_t index) const { return maps_[index].length; }

	Result<void> queueMmap(uint32_t index, uint32_t bytesUsed);
	/// Queues dma-buf @fd (@length bytes) as buffer @index.
	Result<void> queueDmabuf(uint32_t index, int fd, uint32_t length);
	struct Done {
		uint32_t index = 0;
		uint32_t bytesUsed = 0;
		uint32_t flags = 0; ///< V4L2_BUF_FLAG_*
		int fd = -1;        ///< the dma-buf queued (DMABUF memory)
	};
	/// VIDIOC_DQBUF; EAGAIN when no buffer is done.
	Result<Done> dequeue();
	Result<void> streamOn();
	Result<void> streamOff();
	bool streaming() const { return streaming_; }

private:
	struct Map {
		uint8_t *data = nullptr;
		size_t length = 0;
	};
	void unmapAll();

	V4l2Device &device_;
	hbm::V4l2Queue which_;
	int fd_;
	uint32_t type_;
	bool mplane_;
	uint32_t memory_ = 0;
	bool streaming_ = false;
	std::vector<Map> maps_;
};

/// The bitstream side of a stateful decoder (V4L2's stateful decoder interface): feeds
/// @stream through the OUTPUT queue, drains at its end, and reports what the caller must
/// act on — a decoded frame on the CAPTURE queue, a source change (set up CAPTURE for the
/// new size, then call next() again), or the end. The CAPTURE queue's buffers are the
/// caller's business (its own MMAP buffers or imported dma-bufs).
class StatefulDecoder
{
public:
	StatefulDecoder(V4l2Device &device, const std::vector<uint8_t> &stream);
	Result<void> start();

	enum class Step { Frame, SourceChange, End };
	struct Event {
		Step step = Step::End;
		VideoQueue::Done done; ///< Step::Frame: the CAPTURE buffer (bytesUsed 0: empty)
	};
	/// Waits for the next thing to act on; ETIMEDOUT when the decoder makes no progress
	/// for 10 s.
	Result<Event> next();

	VideoQueue &capture() { return capture_; }
	const V4l2Device &device() const { return device_; }

private:
	V4l2Device &device_;
	const std::vector<uint8_t> &stream_;
	VideoQueue bitstream_, capture_;
	uint32_t inputs_ = 0, nextInput_ = 0, freeInputs_ = 0;
	size_t fed_ = 0;
	bool stopped_ = false;
	bool sawLast_ = false; ///< the CAPTURE buffer flagged LAST was taken
};

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

/// The first device whose @queue offers @pixelformat (V4L2_PIX_FMT_FWHT on the OUTPUT
/// queue: a stateful FWHT decoder).
Result<std::shared_ptr<V4l2Device>> openVideoByFormat(hbm::V4l2Queue queue, uint32_t pixelformat);


} // namespace hbm::test
