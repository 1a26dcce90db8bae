/* SPDX-License-Identifier: MIT */
#ifndef HBM_WLROOTS_H
#define HBM_WLROOTS_H

/*
 * libhbm-wlroots: hbm as a wlroots 0.15 allocator (struct wlr_allocator), in C over hbm's C
 * ABI (wlroots' headers are not valid C++). Each buffer wlroots asks for — "this fourcc
 * with one of these modifiers", for an output's swapchain or its cursor — is negotiated
 * with the KMS plane it is for, the renderer, and any device the compositor adds (an
 * encoder reading every frame), before anything is allocated; a refusal is logged through
 * wlr_log with hbm's sentence and the buffer is NULL, as wlroots' own allocators fail.
 * Buffers have DMABUF and DATA_PTR caps: begin/end data-pointer access bracket hbm's CPU
 * access, so DMA_BUF_IOCTL_SYNC is exact.
 *
 * The convention is hbm.h's (see the top of hbm.h), except that this library's own
 * failures are told through wlr_log (hbm_last_error() holds hbm's when it was hbm that
 * refused). Build with -DWLR_USE_UNSTABLE, as every user of wlroots' headers does.
 * Everything runs on the compositor's thread.
 */

#include <stdint.h>

#include <hbm/export.h>
#include <hbm/hbm.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wlr_allocator;
struct wlr_buffer;

struct hbm_wlr_allocator_options {
	uint32_t size;
	/* Where buffers come from (borrowed: it must outlive the allocator). Required. */
	struct hbm_context *ctx;
	/* The KMS device the buffers are scanned out on (borrowed, never DRM master'd); -1:
	 * none (a nested or headless backend). Its primary plane takes part in output-sized
	 * buffers, its cursor plane in cursor-sized ones. */
	int drm_fd;
	/* Which CRTCs the output may use (bits of CRTC indices; 0: any). */
	uint32_t crtc_mask;
	/* The renderer (hbm_egl_participant_create_for_display() of the gles2 renderer's EGL
	 * display), borrowed: it must outlive the allocator; NULL: none (pixman draws through
	 * DATA_PTR). */
	const struct hbm_participant *renderer;
};
#define HBM_WLR_ALLOCATOR_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_wlr_allocator_options, renderer)

/* A wlr_allocator with WLR_BUFFER_CAP_DMABUF | WLR_BUFFER_CAP_DATA_PTR, destroyed with
 * wlr_allocator_destroy(). Buffers it made stay valid until wlroots drops them. */
HBM_EXPORT int hbm_wlr_allocator_create(const struct hbm_wlr_allocator_options *options,
					struct wlr_allocator **out);
/* Whether @allocator is one of hbm's. */
HBM_EXPORT int hbm_wlr_allocator_is_hbm(const struct wlr_allocator *allocator);

/* Adds a device that must read every output-sized buffer made from now on (borrowed until
 * cleared or the allocator goes), e.g. a V4L2 encoder's OUTPUT queue: it joins the
 * negotiation, and a buffer it cannot take is not made. -EINVAL for an allocator not hbm's,
 * -E2BIG past 64. */
HBM_EXPORT int hbm_wlr_allocator_add_participant(struct wlr_allocator *allocator,
						 const struct hbm_participant *participant);
/* Removes every participant added with hbm_wlr_allocator_add_participant(). */
HBM_EXPORT void hbm_wlr_allocator_clear_participants(struct wlr_allocator *allocator);

struct hbm_wlr_allocator_stats {
	uint32_t size;
	uint64_t buffers_created;  /* buffers made so far */
	uint64_t buffers_refused;  /* requests refused (logged) */
	uint32_t buffers_alive;    /* made and not yet destroyed by wlroots */
};
#define HBM_WLR_ALLOCATOR_STATS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_wlr_allocator_stats, buffers_alive)
HBM_EXPORT int hbm_wlr_allocator_get_stats(const struct wlr_allocator *allocator,
					   struct hbm_wlr_allocator_stats *out);

/* The hbm buffer behind a wlr_buffer this allocator made (borrowed: hbm_buffer_ref() to
 * keep it), or NULL for any other buffer: what a compositor hands a second device (an
 * encoder) to read the frame with no copy. */
HBM_EXPORT struct hbm_buffer *hbm_wlr_buffer_get_hbm_buffer(struct wlr_buffer *buffer);

#ifdef __cplusplus
}
#endif

#endif /* HBM_WLROOTS_H */
