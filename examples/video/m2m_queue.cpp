// SPDX-License-Identifier: MIT
#include "m2m_queue.hpp"

#include <cerrno>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/videodev2.h>

using hbm::Error;
using hbm::Result;

namespace video {

int xioctl(int fd, unsigned long request, void *arg)
{
	int ret;
	do {
		ret = ::ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

namespace {

uint32_t bufType(hbm::V4l2Queue which, bool mplane)
{
	if (which == hbm::V4l2Queue::Capture)
		return mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	return mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_OUTPUT;
}

std::string queueName(uint32_t type)
{
	return V4L2_TYPE_IS_OUTPUT(type) ? "OUTPUT" : "CAPTURE";
}

std::string fourcc(uint32_t code)
{
	return std::string(reinterpret_cast<const char *>(&code), 4);
}

bool offers(const hbm::V4l2Device &device, hbm::V4l2Queue queue, uint32_t pixelformat)
{
	const uint32_t type = bufType(queue, device.multiplanar(queue));
	for (uint32_t i = 0;; ++i) {
		struct v4l2_fmtdesc desc = {};
		desc.index = i;
		desc.type = type;
		if (xioctl(device.fd(), VIDIOC_ENUM_FMT, &desc) != 0)
			return false; // EINVAL past the last one, or no such queue
		if (desc.pixelformat == pixelformat)
			return true;
	}
}

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
	if (int ret = xioctl(fd, VIDIOC_QBUF, &buf); ret < 0)
		return Error{-ret, "VIDIOC_QBUF of " + queueName(type) + " buffer " + std::to_string(index) + " failed"};
	return {};
}

} // namespace

Result<std::shared_ptr<hbm::V4l2Device>> openByFormat(hbm::V4l2Queue queue, uint32_t pixelformat)
{
	std::string tried;
	for (const std::string &path : hbm::V4l2Device::nodes()) {
		auto device = hbm::V4l2Device::open(path);
		if (device && offers(**device, queue, pixelformat))
			return device;
		tried += (tried.empty() ? "" : ", ") + path;
	}
	return Error{ENODEV, "no V4L2 device whose " + std::string(queue == hbm::V4l2Queue::Capture ? "CAPTURE" : "OUTPUT") +
				     " queue takes " + fourcc(pixelformat) + " (tried: " + (tried.empty() ? "none" : tried) + ")"};
}

M2mQueue::M2mQueue(hbm::V4l2Device &device, hbm::V4l2Queue which)
	: device_(device), which_(which), fd_(device.fd()), type_(bufType(which, device.multiplanar(which))),
	  mplane_(device.multiplanar(which))
{
}

M2mQueue::~M2mQueue()
{
	if (streaming_)
		(void)streamOff();
	if (memory_)
		(void)request(0, memory_);
}

void M2mQueue::unmapAll()
{
	for (Map &m : maps_)
		if (m.data)
			::munmap(m.data, m.length);
	maps_.clear();
}

Result<hbm::V4l2Device::Format> M2mQueue::setFormat(uint32_t pixelformat, uint32_t width, uint32_t height,
						     uint32_t sizeImage)
{
	return device_.setPixelFormat(which_, pixelformat, width, height, sizeImage);
}

Result<uint32_t> M2mQueue::request(uint32_t count, uint32_t memory)
{
	unmapAll();
	struct v4l2_requestbuffers req = {};
	req.count = count;
	req.type = type_;
	req.memory = memory;
	if (int ret = xioctl(fd_, VIDIOC_REQBUFS, &req); ret < 0)
		return Error{-ret, "VIDIOC_REQBUFS of " + std::to_string(count) + " " + queueName(type_) +
					   " buffers failed"};
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
		if (int ret = xioctl(fd_, VIDIOC_QUERYBUF, &buf); ret < 0)
			return Error{-ret, "VIDIOC_QUERYBUF of " + queueName(type_) + " buffer " + std::to_string(i) +
						   " failed"};
		const size_t length = mplane_ ? planes[0].length : buf.length;
		const off_t offset = mplane_ ? planes[0].m.mem_offset : buf.m.offset;
		void *data = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, offset);
		if (data == MAP_FAILED)
			return Error{errno, "cannot map " + queueName(type_) + " buffer " + std::to_string(i) + " (" +
						    std::to_string(length) + " bytes)"};
		maps_.push_back({static_cast<uint8_t *>(data), length});
	}
	return req.count;
}

Result<void> M2mQueue::queueMmap(uint32_t index, uint32_t bytesUsed)
{
	if (index >= maps_.size())
		return Error{EINVAL, "no MMAP buffer " + std::to_string(index) + " on the " + queueName(type_) + " queue"};
	return queueBuffer(fd_, type_, mplane_, V4L2_MEMORY_MMAP, index, -1, uint32_t(maps_[index].length), bytesUsed);
}

Result<void> M2mQueue::queueDmabuf(uint32_t index, int fd, uint32_t length)
{
	return queueBuffer(fd_, type_, mplane_, V4L2_MEMORY_DMABUF, index, fd, length, 0);
}

Result<M2mQueue::Done> M2mQueue::dequeue()
{
	struct v4l2_plane plane = {};
	struct v4l2_buffer buf = {};
	buf.type = type_;
	buf.memory = memory_;
	if (mplane_) {
		buf.m.planes = &plane;
		buf.length = 1;
	}
	if (int ret = xioctl(fd_, VIDIOC_DQBUF, &buf); ret < 0)
		return Error{-ret, "VIDIOC_DQBUF of the " + queueName(type_) + " queue failed"};
	Done done;
	done.index = buf.index;
	done.flags = buf.flags;
	done.bytesUsed = mplane_ ? plane.bytesused : buf.bytesused;
	if (memory_ == V4L2_MEMORY_DMABUF)
		done.fd = mplane_ ? plane.m.fd : buf.m.fd;
	return done;
}

Result<void> M2mQueue::streamOn()
{
	int type = int(type_);
	if (int ret = xioctl(fd_, VIDIOC_STREAMON, &type); ret < 0)
		return Error{-ret, "VIDIOC_STREAMON of the " + queueName(type_) + " queue failed"};
	streaming_ = true;
	return {};
}

Result<void> M2mQueue::streamOff()
{
	int type = int(type_);
	streaming_ = false;
	if (int ret = xioctl(fd_, VIDIOC_STREAMOFF, &type); ret < 0)
		return Error{-ret, "VIDIOC_STREAMOFF of the " + queueName(type_) + " queue failed"};
	return {};
}

} // namespace video
