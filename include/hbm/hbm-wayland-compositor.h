/* SPDX-License-Identifier: MIT */
#ifndef HBM_WAYLAND_COMPOSITOR_H
#define HBM_WAYLAND_COMPOSITOR_H

/*
 * libhbm-wayland, compositor side, for C compositors: a zwp_linux_dmabuf_v1 global
 * (versions 1 to 4) on the compositor's wl_display. Client params are checked by libhbm's
 * import and answered with linux-dmabuf's protocol errors; each valid buffer reaches the
 * compositor as an hbm_buffer. Feedback is built from hbm participants.
 *
 * The convention is hbm.h's, kept by libhbm's own code (see the top of hbm.h): failures
 * return -errno and record a sentence for hbm_last_error(); structs begin with
 * `uint32_t size` and have a frozen first size (HBM_WL_COMPOSITOR_*_SIZE_V1); NULL options
 * are the defaults (a required field's absence is refused as it would be in a zeroed
 * struct); *out is untouched on failure; an index past the end is -ERANGE; devices are
 * uint64_t; callbacks take the caller's pointer last. Each Buffer a client makes has one
 * hbm_buffer (the one hbm_wl_compositor_buffer_from_resource() returns), so user data set
 * on it in the buffer-created callback is there every later time. Call everything on the
 * display's thread.
 */

#include <stdint.h>

#include <hbm/export.h>
#include <hbm/hbm.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wl_display;
struct wl_resource;

struct hbm_wl_compositor_feedback;
struct hbm_wl_compositor_dmabuf;

struct hbm_wl_compositor_feedback_options {
	uint32_t size;
	/* The compositor's renderer: its formats, and its device as the main device. */
	const struct hbm_participant *renderer;
	/* KMS plane participants that may show client buffers: a scanout tranche. */
	const struct hbm_participant *const *scanout_planes;
	uint32_t scanout_plane_count;
	/* st_rdev of the renderer's DRM device; 0: the one @renderer names (an EGL display's,
	 * a KMS device's, or the device its placement is local to). */
	uint64_t main_device;
};
#define HBM_WL_COMPOSITOR_FEEDBACK_OPTIONS_SIZE_V1 \
	HBM_SIZE_THROUGH(struct hbm_wl_compositor_feedback_options, main_device)

/* Feedback from participants (hbm::wayland::Feedback::fromParticipants). */
HBM_EXPORT int hbm_wl_compositor_feedback_create(const struct hbm_wl_compositor_feedback_options *options,
				      struct hbm_wl_compositor_feedback **out);
HBM_EXPORT void hbm_wl_compositor_feedback_destroy(struct hbm_wl_compositor_feedback *feedback);
/* st_rdev of the main device; 0 for NULL. */
HBM_EXPORT uint64_t hbm_wl_compositor_feedback_get_main_device(const struct hbm_wl_compositor_feedback *feedback);
/* Entries of the format table; 0 for NULL. */
HBM_EXPORT uint32_t hbm_wl_compositor_feedback_get_table_size(const struct hbm_wl_compositor_feedback *feedback);
/* Entry @index of the format table: -EINVAL for NULL arguments, -ERANGE past the end. */
HBM_EXPORT int hbm_wl_compositor_feedback_get_table_entry(const struct hbm_wl_compositor_feedback *feedback, uint32_t index,
					       uint32_t *format, uint64_t *modifier);
HBM_EXPORT uint32_t hbm_wl_compositor_feedback_get_tranche_count(const struct hbm_wl_compositor_feedback *feedback);

/* Called for each buffer a client made: @buffer is the wl_buffer resource, which holds
 * @hbm_buffer (a reference of its own) until the client destroys it; take a reference
 * (hbm_buffer_ref()) to keep it longer. User data set on @hbm_buffer stays with it while
 * either lives. @flags are zwp_linux_buffer_params_v1 flags. */
typedef void (*hbm_wl_compositor_buffer_created_func)(struct wl_resource *buffer, struct hbm_buffer *hbm_buffer,
						      uint32_t flags, void *user_data);

struct hbm_wl_compositor_dmabuf_options {
	uint32_t size;
	/* Highest version offered, 1 to 4; 0 means 4. */
	uint32_t version;
	/* Default feedback and the pairs accepted; copied, the caller may destroy it after. */
	const struct hbm_wl_compositor_feedback *feedback;
	hbm_wl_compositor_buffer_created_func buffer_created; /* may be NULL */
	void *user_data;
};
#define HBM_WL_COMPOSITOR_DMABUF_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_wl_compositor_dmabuf_options, user_data)

HBM_EXPORT int hbm_wl_compositor_dmabuf_create(struct wl_display *display,
				    const struct hbm_wl_compositor_dmabuf_options *options,
				    struct hbm_wl_compositor_dmabuf **out);
/* Removes the global; wl_buffers already made stay valid. NULL is ignored. */
HBM_EXPORT void hbm_wl_compositor_dmabuf_destroy(struct hbm_wl_compositor_dmabuf *dmabuf);
/* Feedback for one wl_surface resource; NULL @feedback returns it to the default. */
HBM_EXPORT int hbm_wl_compositor_dmabuf_set_surface_feedback(struct hbm_wl_compositor_dmabuf *dmabuf,
						  struct wl_resource *surface,
						  const struct hbm_wl_compositor_feedback *feedback);
/* The hbm_buffer behind a wl_buffer made by linux-dmabuf — the same handle the
 * buffer-created callback was given — with a new reference (unref it), or NULL for any
 * other resource. */
HBM_EXPORT struct hbm_buffer *hbm_wl_compositor_buffer_from_resource(struct wl_resource *buffer);

#ifdef __cplusplus
}
#endif

#endif
