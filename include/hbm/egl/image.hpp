// SPDX-License-Identifier: MIT
#pragma once

// hbm buffers as EGLImages (EGL_EXT_image_dma_buf_import, _modifiers) and EGLImages as hbm
// buffers (EGL_MESA_image_dma_buf_export). Part of libhbm-egl.

#include <memory>

#include <EGL/egl.h>
#include <EGL/eglext.h>

#include <hbm/buffer.hpp>
#include <hbm/export.h>
#include <hbm/result.hpp>

namespace hbm::egl {

/// How YUV samples are to be read (EGL_EXT_image_dma_buf_import's hints). 0 leaves a hint
/// out, so the driver's default applies; RGB formats ignore them.
struct ImageOptions {
	EGLint colorSpace = 0;             ///< EGL_ITU_REC601_EXT, EGL_ITU_REC709_EXT, EGL_ITU_REC2020_EXT
	EGLint sampleRange = 0;            ///< EGL_YUV_FULL_RANGE_EXT, EGL_YUV_NARROW_RANGE_EXT
	EGLint chromaHorizontalSiting = 0; ///< EGL_YUV_CHROMA_SITING_0_EXT, EGL_YUV_CHROMA_SITING_0_5_EXT
	EGLint chromaVerticalSiting = 0;
};

/// An EGLImage of one display, destroyed (eglDestroyImageKHR) with the last move of it.
/// The image keeps its dma-bufs referenced on the EGL side; hbm's Buffer may go first.
class HBM_EXPORT Image
{
public:
	Image() = default;
	Image(Image &&other) noexcept;
	Image &operator=(Image &&other) noexcept;
	Image(const Image &) = delete;
	Image &operator=(const Image &) = delete;
	~Image();

	EGLDisplay display() const { return display_; }
	EGLImageKHR get() const { return image_; }
	explicit operator bool() const { return image_ != EGL_NO_IMAGE_KHR; }
	/// Destroys the image now (the destructor does it otherwise).
	void reset();
	/// Gives the image up without destroying it: the caller destroys it.
	EGLImageKHR release();

	/// Takes ownership of @image of @display (made by the caller with eglCreateImageKHR).
	static Image adopt(EGLDisplay display, EGLImageKHR image);

private:
	EGLDisplay display_ = EGL_NO_DISPLAY;
	EGLImageKHR image_ = EGL_NO_IMAGE_KHR;
};

/// An EGLImage of @buffer on @display (EGL_LINUX_DMA_BUF_EXT): every plane's fd, offset
/// and stride; the modifier only when the buffer has an explicit one — DRM_FORMAT_MOD_INVALID
/// (implicit) is passed as no modifier at all, and so is LINEAR to a display that does
/// not list LINEAR for the format (it takes linear buffers as implicit ones). Without EGL_EXT_image_dma_buf_import_modifiers
/// an explicit modifier other than LINEAR, or a fourth plane, is refused (ENOTSUP naming
/// the extension). An EGL failure carries eglGetError()'s name ("EGL_BAD_MATCH").
/// Nothing checks here that the display's renderer can use the memory: negotiate the
/// buffer with the display's participant (displayParticipant()) for that.
HBM_EXPORT Result<Image> importBuffer(EGLDisplay display, const Buffer &buffer, const ImageOptions &options = {});

/// The dma-bufs behind @image (EGL_MESA_image_dma_buf_export) as an hbm Buffer of
/// @width x @height, which EGL does not report. The descriptors are checked (an
/// implementation may answer EGL_TRUE with fd -1, as Mesa does for images of GL
/// textures) and go through Buffer::import's validation; they are closed on every path.
HBM_EXPORT Result<std::shared_ptr<Buffer>> exportImage(EGLDisplay display, EGLImageKHR image, uint32_t width, uint32_t height);

/// "EGL_BAD_MATCH" for an eglGetError() value; "EGL error 0x…" for an unknown one.
HBM_EXPORT const char *errorName(EGLint error);

} // namespace hbm::egl
