// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <hbm/layout.hpp>
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
	/// Every /dev/video* node in numeric order, opened by none: for tools that list a
	/// machine (each may then be open()ed).
	static std::vector<std::string> nodes();

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
	/// (no V4L2_BUF_CAP_SUPPORTS_DMABUF). Each format's layout is asked of the driver
	/// (VIDIOC_TRY_FMT, which changes nothing): a driver that keeps a wider bytesperline
	/// than its own takes hbm's strides; one that does not fixes the layout, which becomes
	/// Constraints::fixedLayouts (its bytesperline, the planes packed as the single-planar
	/// API packs them, at least sizeimage bytes, at the size the driver would use). Formats
	/// with one memory plane per colour plane (NV12M …) need one dma-buf per plane, which
	/// hbm does not allocate: they are left out and the source says so.
	Result<Participant> participant(V4l2Queue queue, uint32_t width, uint32_t height) const;

	/// The format @queue has now (VIDIOC_G_FMT): a decoder's CAPTURE format once its
	/// source-change event said the stream's size is known.
	struct Format {
		uint32_t v4l2Format = 0; ///< V4L2_PIX_FMT_*
		uint32_t drmFormat = 0;  ///< 0 when hbm has no mapping
		uint32_t width = 0;      ///< the coded size the buffers must hold
		uint32_t height = 0;
		uint32_t bytesPerLine = 0; ///< of the first memory plane
		uint32_t sizeImage = 0;    ///< bytes of the first memory plane
		uint32_t memoryPlanes = 1; ///< dma-bufs per buffer
	};
	Result<Format> format(V4l2Queue queue) const;

	/// Sets @queue's format as V4L2 names it (VIDIOC_S_FMT of @v4l2Format at @width x
	/// @height; @sizeImage for a coded format, 0: the driver's choice): a decoder's OUTPUT
	/// (bitstream) queue. What the driver chose, unchecked.
	Result<Format> setPixelFormat(V4l2Queue queue, uint32_t v4l2Format, uint32_t width, uint32_t height,
				      uint32_t sizeImage = 0);

	/// Sets @queue to @layout's format, size and stride (VIDIOC_S_FMT) and checks that the
	/// driver kept all three and needs no more than @layout.size bytes. A driver that
	/// would change any is refused (EINVAL) naming the queue, what was asked and what it
	/// chose; nothing is streamed then.
	Result<Format> setFormat(V4l2Queue queue, const Layout &layout);

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
