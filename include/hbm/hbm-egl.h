/* SPDX-License-Identifier: MIT */
#ifndef HBM_EGL_H
#define HBM_EGL_H

/* libhbm-egl's C ABI: hbm buffers as EGLImages and back, EGL displays as participants.
 * The convention is hbm.h's, kept by libhbm's own code (see the top of hbm.h): 0 or a
 * negative errno, with a sentence in hbm_last_error() (an EGL failure names eglGetError()'s
 * value, e.g. "EGL_BAD_MATCH"); *out is untouched on failure; option structs start with
 * `size` and have a frozen first size (HBM_EGL_*_SIZE_V1); a NULL options pointer means
 * the defaults. */

#include <stdint.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>

#include <hbm/export.h>
#include <hbm/hbm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* YUV sampling hints of EGL_EXT_image_dma_buf_import; 0 leaves a hint out. */
struct hbm_egl_image_options {
	uint32_t size;
	int32_t color_space;              /* EGL_ITU_REC601_EXT, EGL_ITU_REC709_EXT, EGL_ITU_REC2020_EXT */
	int32_t sample_range;             /* EGL_YUV_FULL_RANGE_EXT, EGL_YUV_NARROW_RANGE_EXT */
	int32_t chroma_horizontal_siting; /* EGL_YUV_CHROMA_SITING_0_EXT, EGL_YUV_CHROMA_SITING_0_5_EXT */
	int32_t chroma_vertical_siting;
};
#define HBM_EGL_IMAGE_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_egl_image_options, chroma_vertical_siting)

/* An EGLImage of @buffer on @display (EGL_LINUX_DMA_BUF_EXT, every plane; the modifier
 * only when the buffer has an explicit one). The caller owns *@out and destroys it with
 * eglDestroyImageKHR; the buffer may be released first. */
HBM_EXPORT int hbm_egl_image_create_from_buffer(EGLDisplay display, struct hbm_buffer *buffer,
						const struct hbm_egl_image_options *options, EGLImageKHR *out);

/* The dma-bufs of @image (EGL_MESA_image_dma_buf_export) as a new buffer of @width x
 * @height (hbm_buffer_unref() releases it). Validated as hbm_buffer_create_from_fds()
 * validates; an image EGL cannot export (fd -1) is -ENOTSUP. */
HBM_EXPORT int hbm_egl_buffer_create_from_image(EGLDisplay display, EGLImageKHR image, uint32_t width,
						uint32_t height, struct hbm_buffer **out);

enum hbm_egl_use {
	HBM_EGL_USE_SAMPLING = 0,  /* takes external-only formats too */
	HBM_EGL_USE_RENDERING = 1, /* leaves external-only formats out */
};

struct hbm_egl_participant_options {
	uint32_t size;
	uint32_t use; /* enum hbm_egl_use */
	/* Whose configuration ([renderer.NAME] rules) overrides the built-in renderer table;
	 * NULL: the table alone. */
	struct hbm_context *context;
	/* The caller's fd of the display's DRM device (the one given to gbm_create_device),
	 * read for its driver's name; NULL: hbm opens the device's node to ask. */
	const int *drm_fd;
};
#define HBM_EGL_PARTICIPANT_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_egl_participant_options, drm_fd)

/* @display (initialised) as a participant: its dma-buf formats and modifiers for the use,
 * its DRM device, and local_to_device when its renderer can use only its own device's
 * memory (hbm_participant_destroy() frees it). -ENOTSUP names a missing extension. */
HBM_EXPORT int hbm_egl_participant_create_for_display(EGLDisplay display,
						      const struct hbm_egl_participant_options *options,
						      struct hbm_participant **out);

#ifdef __cplusplus
}
#endif

#endif /* HBM_EGL_H */
