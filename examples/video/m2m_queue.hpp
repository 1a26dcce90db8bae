// SPDX-License-Identifier: MIT
// One queue of a V4L2 memory-to-memory device (a decoder, an encoder) with buffers of one
// memory plane, over whichever API the device speaks: single-planar (VIDEO_CAPTURE) or
// multi-planar (VIDEO_CAPTURE_MPLANE, e.g. vicodec.multiplanar=1). Written over hbm's
// public headers and linux/videodev2.h only: copy it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <hbm/result.hpp>
#include <hbm/v4l2.hpp>

namespace video {

/// ioctl() retried while a signal interrupts it: 0, or -errno.
int xioctl(int fd, unsigned long request, void *arg);

/// The first /dev/video* whose @queue offers @pixelformat: V4L2_PIX_FMT_FWHT on the OUTPUT
/// queue finds a stateful FWHT decoder (vicodec), on the CAPTURE queue its encoder.
hbm::Result<std::shared_ptr<hbm::V4l2Device>> openByFormat(hbm::V4l2Queue queue, uint32_t pixelformat);

/// One queue of @device. MMAP buffers are mapped by the queue; buffers are released
/// (REQBUFS 0) and streaming stops when it goes.
class M2mQueue
{
public:
	M2mQueue(hbm::V4l2Device &device, hbm::V4l2Queue which);
	~M2mQueue();
	M2mQueue(const M2mQueue &) = delete;
	M2mQueue &operator=(const M2mQueue &) = delete;

	/// V4l2Device::setPixelFormat() of this queue.
	hbm::Result<hbm::V4l2Device::Format> setFormat(uint32_t pixelformat, uint32_t width, uint32_t height,
						       uint32_t sizeImage = 0);
	/// VIDIOC_REQBUFS of @count buffers of @memory (V4L2_MEMORY_MMAP: also mapped); the
	/// count the driver gave. 0 frees them, which a driver needs before a new format.
	hbm::Result<uint32_t> request(uint32_t count, uint32_t memory);
	/// The mapping of MMAP buffer @index and its length.
	uint8_t *data(uint32_t index) const { return maps_[index].data; }
	size_t length(uint32_t index) const { return maps_[index].length; }

	hbm::Result<void> queueMmap(uint32_t index, uint32_t bytesUsed);
	/// Queues dma-buf @fd (@length bytes) as buffer @index: the driver writes (CAPTURE) or
	/// reads (OUTPUT) the caller's memory.
	hbm::Result<void> queueDmabuf(uint32_t index, int fd, uint32_t length);
	struct Done {
		uint32_t index = 0;
		uint32_t bytesUsed = 0;
		uint32_t flags = 0; ///< V4L2_BUF_FLAG_*
		int fd = -1;        ///< the dma-buf queued (DMABUF memory)
	};
	/// VIDIOC_DQBUF; EAGAIN when no buffer is done, EPIPE after the last one of a drain.
	hbm::Result<Done> dequeue();
	hbm::Result<void> streamOn();
	hbm::Result<void> streamOff();
	bool streaming() const { return streaming_; }

private:
	struct Map {
		uint8_t *data = nullptr;
		size_t length = 0;
	};
	void unmapAll();

	hbm::V4l2Device &device_;
	hbm::V4l2Queue which_;
	int fd_;
	uint32_t type_;
	bool mplane_;
	uint32_t memory_ = 0;
	bool streaming_ = false;
	std::vector<Map> maps_;
};

} // namespace video
