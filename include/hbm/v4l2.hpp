// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <hbm/participant.hpp>
#include <hbm/export.h>
#include <hbm/result.hpp>
#include <hbm/unique_fd.hpp>

namespace hbm {

/// A V4L2 video device (camera, decoder, encoder, m2m) as a source of participants.
class HBM_EXPORT V4l2Device
{
public:
	static Result<std::shared_ptr<V4l2Device>> open(const std::string &path);
	/// The first /dev/video* whose driver is @driver and that has @queue.
	static Result<std::shared_ptr<V4l2Device>> openByDriver(const std::string &driver, V4l2Queue queue);
	/// Borrows the caller's V4L2 descriptor @fd: keeps a duplicate of it. EBADF for a
	/// descriptor that is not open, ENODEV for one that is not a V4L2 device.
	static Result<std::shared_ptr<V4l2Device>> fromFd(int fd);

	~V4l2Device();
	V4l2Device(const V4l2Device &) = delete;
	V4l2Device &operator=(const V4l2Device &) = delete;

	int fd() const;
	const std::string &path() const;
	const std::string &driverName() const;
	const std::string &cardName() const;
	/// Whether @queue uses the multi-planar API (VIDEO_CAPTURE_MPLANE …).
	bool multiplanar(V4l2Queue queue) const;

	/// @queue as a participant for @width x @height: the formats of VIDIOC_ENUM_FMT that
	/// map to DRM fourccs (linear), and a refusal if the queue cannot import dma-bufs
	/// (no V4L2_BUF_CAP_SUPPORTS_DMABUF). The driver's own stride for the first format
	/// (VIDIOC_TRY_FMT) is named in the participant's source.
	Result<Participant> participant(V4l2Queue queue, uint32_t width, uint32_t height) const;

	/// The DRM fourcc of V4L2 pixel format @v4l2 (0 if hbm has no mapping), and back.
	static uint32_t drmFormat(uint32_t v4l2);
	static uint32_t v4l2Format(uint32_t drm);

	struct Private;

private:
	explicit V4l2Device(std::unique_ptr<Private> d);
	/// Checks that @fd is a V4L2 device (VIDIOC_QUERYCAP) and keeps it; @path names it.
	static Result<std::shared_ptr<V4l2Device>> adopt(UniqueFd fd, const std::string &path);
	std::unique_ptr<Private> d_;
};

} // namespace hbm
