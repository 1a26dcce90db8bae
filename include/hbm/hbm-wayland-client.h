/* SPDX-License-Identifier: MIT */
#ifndef HBM_WAYLAND_CLIENT_H
#define HBM_WAYLAND_CLIENT_H

/*
 * libhbm-wayland, client side, for C: what a Wayland compositor takes (linux-dmabuf v3 or
 * v4 feedback) as hbm participants, buffers negotiated for it, and each buffer's wl_buffer.
 * The convention is hbm.h's, kept by libhbm's own code (see the top of hbm.h): 0 or a
 * negative errno with the reason in hbm_last_error(); extensible structs begin with
 * `uint32_t size` and have a frozen first size (HBM_WL_*_SIZE_V1); NULL options are the
 * defaults; *out is untouched on failure; an index past the end is -ERANGE; devices are
 * uint64_t; destroy functions accept NULL. A client is used from the thread that
 * dispatches the wl_display's default queue.
 */

#include <stddef.h>
#include <stdint.h>

#include <hbm/export.h>
#include <hbm/hbm.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wl_buffer;
struct wl_display;
struct hbm_wl_client;

struct hbm_wl_client_options {
	uint32_t size;
	/* Highest zwp_linux_dmabuf_v1 version to bind, 3 or 4; 0: 4. The compositor's caps it. */
	uint32_t max_version;
	/* For a v3 compositor, which names no device: the device number (st_rdev) taken for its renderer.
	 * 0: the only DRM device among the context's allocators, if exactly one. */
	uint64_t v3_main_device;
};
#define HBM_WL_CLIENT_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_wl_client_options, v3_main_device)

/* Binds linux-dmabuf on @display and reads the default feedback (a roundtrip on a private
 * queue). @options may be NULL. -ENOENT: no linux-dmabuf of version 3 or later; -EPROTO:
 * malformed feedback, named in hbm_last_error(). */
HBM_EXPORT int hbm_wl_client_create(struct wl_display *display, struct hbm_context *ctx,
				    const struct hbm_wl_client_options *options, struct hbm_wl_client **out);
/* Destroys the client's wl_buffers and protocol objects (the hbm_buffers stay). */
HBM_EXPORT void hbm_wl_client_destroy(struct hbm_wl_client *client);

/* wl_display_roundtrip() on the default queue: feedback changes are read, and the
 * feedback-changed callback is called, while the application dispatches that queue. */
HBM_EXPORT int hbm_wl_client_roundtrip(struct hbm_wl_client *client);

struct hbm_wl_feedback_info {
	uint32_t size;
	uint32_t version;       /* of the zwp_linux_dmabuf_v1 bound */
	uint64_t main_device;   /* st_rdev; 0 for v3 */
	uint32_t tranche_count; /* most preferred first */
};
#define HBM_WL_FEEDBACK_INFO_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_wl_feedback_info, tranche_count)
HBM_EXPORT int hbm_wl_client_get_feedback(const struct hbm_wl_client *client, struct hbm_wl_feedback_info *out);

#define HBM_WL_TRANCHE_SCANOUT 1u /* zwp_linux_dmabuf_feedback_v1 tranche_flags */

struct hbm_wl_tranche_info {
	uint32_t size;
	uint32_t flags;         /* HBM_WL_TRANCHE_SCANOUT … */
	uint64_t target_device; /* st_rdev; 0 for v3 */
	uint32_t pair_count;    /* format + modifier pairs: hbm_wl_client_get_tranche_pair() */
};
#define HBM_WL_TRANCHE_INFO_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_wl_tranche_info, pair_count)
/* Tranche @index of the feedback in force; -ERANGE past the last. */
HBM_EXPORT int hbm_wl_client_get_tranche(const struct hbm_wl_client *client, uint32_t index,
					 struct hbm_wl_tranche_info *out);
/* Pair @pair of tranche @tranche, pairs sorted by format. -ERANGE past the end. */
HBM_EXPORT int hbm_wl_client_get_tranche_pair(const struct hbm_wl_client *client, uint32_t tranche, uint32_t pair,
					      uint32_t *format, uint64_t *modifier);
/* Tranche @tranche as a new participant (identity, constraints and source), to negotiate
 * with; free it with hbm_participant_destroy(). -ERANGE past the last tranche. */
HBM_EXPORT int hbm_wl_client_create_participant(const struct hbm_wl_client *client, uint32_t tranche,
						struct hbm_participant **out);

/* What hbm_wl_client_create_buffer() makes: a request, and the client's own devices that
 * will touch the buffer besides the compositor. */
struct hbm_wl_buffer_options {
	uint32_t size;
	const struct hbm_request *request;
	struct hbm_participant *const *participants; /* may be NULL with participant_count 0 */
	uint32_t participant_count;
};
#define HBM_WL_BUFFER_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_wl_buffer_options, participant_count)
/* A new buffer for @options' request that the compositor (the first tranche, in order,
 * that can take one) and the participants accept. A refusal names each tranche's reason.
 * NULL @options, or no request, is refused like a zeroed request (-EINVAL). */
HBM_EXPORT int hbm_wl_client_create_buffer(struct hbm_wl_client *client, const struct hbm_wl_buffer_options *options,
					   struct hbm_buffer **out);
/* 0 when @buffer suits the feedback in force (some tranche's participant could use it);
 * a negative errno, with the reason recorded, when it is one to drop. */
HBM_EXPORT int hbm_wl_client_check_buffer(const struct hbm_wl_client *client, struct hbm_buffer *buffer);

enum hbm_wl_buffer_flags {
	/* Use create and wait for created / failed (on a private queue) instead of create_immed. */
	HBM_WL_BUFFER_ASYNC = 1u << 0,
};
/* The wl_buffer of @buffer, made at the first call and the same one after: owned by the
 * client, destroyed when the buffer's last reference is gone (at a later call) or with the
 * client. -EINVAL with the reason when the compositor answers `failed`. */
HBM_EXPORT int hbm_wl_client_get_wl_buffer(struct hbm_wl_client *client, struct hbm_buffer *buffer, uint32_t flags,
					   struct wl_buffer **out);
/* wl_buffers made so far: a frame loop that reuses its buffers keeps it still. */
HBM_EXPORT uint64_t hbm_wl_client_get_wl_buffers_created(const struct hbm_wl_client *client);

/* Called (on the default queue's dispatch) after new default feedback arrives whole: with
 * 0 when it is in force (renegotiate, and check buffers with hbm_wl_client_check_buffer()),
 * or a negative errno for a malformed one, which is not (reason in hbm_last_error()). */
typedef void (*hbm_wl_client_feedback_func)(struct hbm_wl_client *client, int status, void *user_data);
HBM_EXPORT int hbm_wl_client_set_feedback_listener(struct hbm_wl_client *client, hbm_wl_client_feedback_func func,
						   void *user_data);

/* ---- Buffers the compositor allocates (hbm_allocator_v1) ------------------------------ */

/* A compositor that offers hbm_allocator_v1 (Weston with hbm-weston.so) allocates buffers
 * for a client that needs no device access of its own. Each answer's descriptors are
 * imported as any foreign buffer (proven dma-bufs, planes inside them); make their
 * wl_buffers with hbm_wl_client_get_wl_buffer(), which uses the compositor's own
 * linux-dmabuf. Requests wait for their answer on a private queue. */
struct wl_surface;
struct hbm_wl_allocator;

enum hbm_wl_allocate_flags {
	HBM_WL_ALLOCATE_DRY_RUN = 1u << 0, /* say what would be chosen, allocate nothing */
};

struct hbm_wl_allocate_options {
	uint32_t size;
	/* Width, height, formats in order of preference and usage bits; its kind is not sent. */
	const struct hbm_request *request;
	uint32_t count;             /* all or nothing, 1 to 16; 0: 1 */
	uint32_t flags;             /* enum hbm_wl_allocate_flags */
	struct wl_surface *surface; /* the surface the buffers are for, or NULL */
};
#define HBM_WL_ALLOCATE_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_wl_allocate_options, surface)

/* What the compositor chose. */
struct hbm_wl_allocation_info {
	uint32_t size;
	uint32_t format;
	uint64_t modifier;     /* the one to give linux-dmabuf for these buffers */
	const char *allocator; /* "dumb:vkms" …; valid until the next call on the allocator */
};
#define HBM_WL_ALLOCATION_INFO_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_wl_allocation_info, allocator)

/* Binds hbm_allocator_v1 on @display. -ENOENT when the compositor offers none. */
HBM_EXPORT int hbm_wl_allocator_create(struct wl_display *display, struct hbm_wl_allocator **out);
/* Gives every buffer's compositor-side object back (the hbm_buffers stay valid). */
HBM_EXPORT void hbm_wl_allocator_destroy(struct hbm_wl_allocator *allocator);
/* Asks the compositor for @options' buffers and waits for the answer. On success writes
 * what was chosen to @info (may be NULL) and the buffers to @buffers (room for @capacity;
 * each a reference the caller unrefs), and returns how many (0 for a dry run). A refusal
 * is the compositor's sentence with its reason (hbm_last_reason()): -EDQUOT over the
 * client's quota, -ENOMEM out of memory, -ENOTSUP when no layout fits. A request outside
 * the protocol's bounds, or more buffers than @capacity, is -EINVAL and is not sent. On
 * failure @info and @buffers are untouched. */
HBM_EXPORT int hbm_wl_allocator_allocate(struct hbm_wl_allocator *allocator, const struct hbm_wl_allocate_options *options,
					 struct hbm_wl_allocation_info *info, struct hbm_buffer **buffers,
					 uint32_t capacity);
/* Buffers whose compositor-side object is still held: the compositor's count against this
 * client's quota. A buffer's object is given back once its last hbm_buffer reference is
 * gone (at a later call). */
HBM_EXPORT uint32_t hbm_wl_allocator_get_held(const struct hbm_wl_allocator *allocator);

#ifdef __cplusplus
}
#endif

#endif
