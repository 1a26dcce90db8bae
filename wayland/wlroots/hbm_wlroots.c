/* SPDX-License-Identifier: MIT */
/* libhbm-wlroots: hbm as a wlroots 0.15 allocator. C over hbm's C ABI (hbm.h): wlroots'
 * headers are not valid C++ (flexible array members, [static 4] parameters). Compared with
 * wlroots 0.15's own render/allocator/gbm.c and drm_dumb.c: the same wlr_buffer contract
 * (dma-buf attributes owned by the buffer, data-pointer access bracketed), but every
 * buffer negotiated first with the plane, the renderer and the compositor's extra devices. */
#define _POSIX_C_SOURCE 200809L
#include <hbm/hbm-wlroots.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include <wayland-server-core.h>
#include <wlr/render/allocator.h>
#include <wlr/render/dmabuf.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>

struct hbm_wlr_allocator {
	struct wlr_allocator base;
	struct hbm_context *ctx;
	struct hbm_participant *primary; /* of drm_fd, or NULL */
	struct hbm_participant *cursor;  /* of drm_fd, or NULL */
	uint64_t cursor_width, cursor_height;
	const struct hbm_participant *renderer; /* borrowed */
	const struct hbm_participant **extra;   /* borrowed */
	uint32_t extra_count;
	struct wl_list buffers; /* hbm_wlr_buffer.link: alive, to detach when the allocator goes */
	uint64_t created, refused;
	uint32_t alive;
};

struct hbm_wlr_buffer {
	struct wlr_buffer base;
	struct hbm_buffer *hbm;
	struct wlr_dmabuf_attributes dmabuf; /* the fds are the buffer's own */
	struct hbm_cpu_access *access;       /* during data-pointer access */
	struct hbm_wlr_allocator *allocator; /* NULL once the allocator is gone */
	struct wl_list link;
};

static const struct wlr_allocator_interface allocator_impl;
static const struct wlr_buffer_impl buffer_impl;

static struct hbm_wlr_allocator *allocator_from(const struct wlr_allocator *base)
{
	return base && base->impl == &allocator_impl ? wl_container_of(base, (struct hbm_wlr_allocator *)NULL, base)
						     : NULL;
}

static struct hbm_wlr_buffer *buffer_from(struct wlr_buffer *base)
{
	return base && base->impl == &buffer_impl ? wl_container_of(base, (struct hbm_wlr_buffer *)NULL, base) : NULL;
}

/* ---- Buffers ------------------------------------------------------------------------- */

static void buffer_destroy(struct wlr_buffer *base)
{
	struct hbm_wlr_buffer *buffer = buffer_from(base);
	if (buffer->access)
		hbm_cpu_access_end(buffer->access);
	wlr_dmabuf_attributes_finish(&buffer->dmabuf);
	hbm_buffer_unref(buffer->hbm);
	if (buffer->allocator) {
		buffer->allocator->alive--;
		wl_list_remove(&buffer->link);
	}
	free(buffer);
}

static bool buffer_get_dmabuf(struct wlr_buffer *base, struct wlr_dmabuf_attributes *attribs)
{
	*attribs = buffer_from(base)->dmabuf;
	return true;
}

static bool buffer_begin_data_ptr_access(struct wlr_buffer *base, uint32_t flags, void **data, uint32_t *format,
					 size_t *stride)
{
	struct hbm_wlr_buffer *buffer = buffer_from(base);
	enum hbm_cpu_access_mode mode = 0;
	if (flags & WLR_BUFFER_DATA_PTR_ACCESS_READ)
		mode |= HBM_CPU_READ;
	if (flags & WLR_BUFFER_DATA_PTR_ACCESS_WRITE)
		mode |= HBM_CPU_WRITE;
	if (!mode || buffer->access || hbm_buffer_get_plane_count(buffer->hbm) != 1) {
		wlr_log(WLR_ERROR, "hbm: no data-pointer access to this buffer (flags 0x%x, %u planes%s)", flags,
			hbm_buffer_get_plane_count(buffer->hbm), buffer->access ? ", already accessed" : "");
		return false;
	}
	uint32_t pitch = 0;
	if (hbm_buffer_get_plane(buffer->hbm, 0, &pitch, NULL) != 0 ||
	    hbm_buffer_begin_cpu_access(buffer->hbm, mode, &buffer->access) != 0) {
		wlr_log(WLR_ERROR, "hbm: %s", hbm_last_error());
		return false;
	}
	size_t size = 0;
	*data = hbm_cpu_access_plane_data(buffer->access, 0, &size);
	*format = hbm_buffer_get_format(buffer->hbm);
	*stride = pitch;
	return true;
}

static void buffer_end_data_ptr_access(struct wlr_buffer *base)
{
	struct hbm_wlr_buffer *buffer = buffer_from(base);
	if (buffer->access && hbm_cpu_access_end(buffer->access) != 0)
		wlr_log(WLR_ERROR, "hbm: ending CPU access: %s", hbm_last_error());
	buffer->access = NULL;
}

static const struct wlr_buffer_impl buffer_impl = {
	.destroy = buffer_destroy,
	.get_dmabuf = buffer_get_dmabuf,
	.begin_data_ptr_access = buffer_begin_data_ptr_access,
	.end_data_ptr_access = buffer_end_data_ptr_access,
};

/* The wlr_buffer of @hbm (taken), its planes exported once; NULL (logged) on failure. */
static struct hbm_wlr_buffer *wrap(struct hbm_wlr_allocator *allocator, struct hbm_buffer *hbm)
{
	struct hbm_wlr_buffer *buffer = calloc(1, sizeof(*buffer));
	if (!buffer) {
		hbm_buffer_unref(hbm);
		return NULL;
	}
	buffer->hbm = hbm;
	struct wlr_dmabuf_attributes *d = &buffer->dmabuf;
	d->width = (int32_t)hbm_buffer_get_width(hbm);
	d->height = (int32_t)hbm_buffer_get_height(hbm);
	d->format = hbm_buffer_get_format(hbm);
	d->modifier = hbm_buffer_get_modifier(hbm);
	d->n_planes = (int)hbm_buffer_get_plane_count(hbm);
	for (int i = 0; i < WLR_DMABUF_MAX_PLANES; i++)
		d->fd[i] = -1;
	for (int i = 0; i < d->n_planes && i < WLR_DMABUF_MAX_PLANES; i++) {
		uint64_t offset = 0;
		int fd = hbm_buffer_export_plane_fd(hbm, (uint32_t)i);
		if (fd < 0 || hbm_buffer_get_plane(hbm, (uint32_t)i, &d->stride[i], &offset) != 0) {
			wlr_log(WLR_ERROR, "hbm: exporting plane %d: %s", i, hbm_last_error());
			if (fd >= 0)
				close(fd);
			wlr_dmabuf_attributes_finish(d);
			hbm_buffer_unref(hbm);
			free(buffer);
			return NULL;
		}
		d->fd[i] = fd;
		d->offset[i] = (uint32_t)offset;
	}
	wlr_buffer_init(&buffer->base, &buffer_impl, d->width, d->height);
	buffer->allocator = allocator;
	wl_list_insert(&allocator->buffers, &buffer->link);
	allocator->alive++;
	allocator->created++;
	return buffer;
}

/* ---- The allocator --------------------------------------------------------------------- */

/* Whether @format lists @modifier. */
static bool lists(const struct wlr_drm_format *format, uint64_t modifier)
{
	for (size_t i = 0; i < format->len; i++)
		if (format->modifiers[i] == modifier)
			return true;
	return false;
}

/* What wlroots offers as one participant: @format with exactly its listed modifiers, so
 * that an implicit layout comes back only when INVALID was offered. INVALID without LINEAR
 * (a legacy driver, or pixman's formats, intersected with a plane's) also takes LINEAR: a
 * linear buffer is then handed back as INVALID (implicit_linear), which is what wlroots' own
 * dumb-buffer allocator does — the driver's implicit layout of memory nobody tiled is linear. */
static struct hbm_participant *offered(const struct wlr_drm_format *format, bool *implicit_linear)
{
	*implicit_linear = lists(format, DRM_FORMAT_MOD_INVALID) && !lists(format, DRM_FORMAT_MOD_LINEAR);
	const size_t count = format->len + (*implicit_linear ? 1 : 0);
	if (format->len == 0 || count > UINT32_MAX)
		return NULL;
	uint32_t *formats = malloc(count * sizeof(*formats));
	uint64_t *modifiers = malloc(count * sizeof(*modifiers));
	struct hbm_participant *p = NULL;
	if (formats && modifiers) {
		for (size_t i = 0; i < count; i++)
			formats[i] = format->format;
		memcpy(modifiers, format->modifiers, format->len * sizeof(*modifiers));
		if (*implicit_linear)
			modifiers[format->len] = DRM_FORMAT_MOD_LINEAR;
		if (hbm_participant_create_for_formats("wlroots' modifier list", formats, modifiers, (uint32_t)count, &p) != 0)
			p = NULL;
	}
	free(formats);
	free(modifiers);
	return p;
}

static struct wlr_buffer *refuse(struct hbm_wlr_allocator *allocator, struct hbm_description *description,
				 struct hbm_participant *wanted)
{
	allocator->refused++;
	hbm_description_destroy(description);
	hbm_participant_destroy(wanted);
	return NULL;
}

static struct wlr_buffer *allocator_create_buffer(struct wlr_allocator *base, int width, int height,
						  const struct wlr_drm_format *format)
{
	struct hbm_wlr_allocator *allocator = allocator_from(base);
	char fourcc[5] = {0};
	memcpy(fourcc, &format->format, 4);
	if (width <= 0 || height <= 0) {
		wlr_log(WLR_ERROR, "hbm: no %dx%d buffer: width and height must be positive", width, height);
		allocator->refused++;
		return NULL;
	}
	bool implicit_linear = false;
	struct hbm_participant *wanted = offered(format, &implicit_linear);
	if (!wanted) {
		wlr_log(WLR_ERROR, "hbm: no %dx%d %s buffer: wlroots offered no modifier (%zu) or memory ran out", width,
			height, fourcc, format->len);
		allocator->refused++;
		return NULL;
	}
	/* A cursor-sized buffer is for the cursor plane, anything else for the primary plane
	 * (wlroots makes both swapchains from one allocator). */
	const bool cursor = allocator->cursor && (uint64_t)width <= allocator->cursor_width &&
			    (uint64_t)height <= allocator->cursor_height;
	struct hbm_request request = {
		.size = sizeof(request),
		.width = (uint32_t)width,
		.height = (uint32_t)height,
		.usage = HBM_USAGE_RENDER | (allocator->primary ? HBM_USAGE_SCANOUT : 0u) | (cursor ? HBM_USAGE_CURSOR : 0u),
		.formats = &format->format,
		.format_count = 1,
	};
	struct hbm_description *description = NULL;
	if (hbm_description_create(allocator->ctx, &request, &description) != 0) {
		wlr_log(WLR_ERROR, "hbm: no %dx%d %s buffer: %s", width, height, fourcc, hbm_last_error());
		return refuse(allocator, NULL, wanted);
	}
	const struct hbm_participant *each[3 + 64];
	uint32_t n = 0;
	each[n++] = wanted;
	if (cursor ? allocator->cursor : allocator->primary)
		each[n++] = cursor ? allocator->cursor : allocator->primary;
	if (allocator->renderer)
		each[n++] = allocator->renderer;
	for (uint32_t i = 0; !cursor && i < allocator->extra_count; i++)
		each[n++] = allocator->extra[i];
	for (uint32_t i = 0; i < n; i++) {
		if (hbm_description_attach(description, each[i]) != 0) {
			/* hbm's sentence names the participant ("attaching …: no plan …"). */
			wlr_log(WLR_ERROR, "hbm: no %dx%d %s buffer: %s (%s)", width, height, fourcc, hbm_last_error(),
				hbm_reason_name(hbm_last_reason()));
			return refuse(allocator, description, wanted);
		}
	}
	struct hbm_buffer *hbm = NULL;
	if (hbm_description_allocate(description, &hbm) != 0) {
		wlr_log(WLR_ERROR, "hbm: no %dx%d %s buffer: %s", width, height, fourcc, hbm_last_error());
		return refuse(allocator, description, wanted);
	}
	hbm_description_destroy(description);
	hbm_participant_destroy(wanted);
	struct hbm_wlr_buffer *buffer = wrap(allocator, hbm);
	if (buffer && implicit_linear && buffer->dmabuf.modifier == DRM_FORMAT_MOD_LINEAR)
		buffer->dmabuf.modifier = DRM_FORMAT_MOD_INVALID; /* what wlroots offered */
	return buffer ? &buffer->base : NULL;
}

static void allocator_destroy(struct wlr_allocator *base)
{
	struct hbm_wlr_allocator *allocator = allocator_from(base);
	/* Buffers the output still holds outlive the allocator: they forget it. */
	struct hbm_wlr_buffer *buffer, *tmp;
	wl_list_for_each_safe(buffer, tmp, &allocator->buffers, link) {
		wl_list_remove(&buffer->link);
		wl_list_init(&buffer->link);
		buffer->allocator = NULL;
	}
	hbm_participant_destroy(allocator->primary);
	hbm_participant_destroy(allocator->cursor);
	free(allocator->extra);
	free(allocator);
}

static const struct wlr_allocator_interface allocator_impl = {
	.create_buffer = allocator_create_buffer,
	.destroy = allocator_destroy,
};

int hbm_wlr_allocator_create(const struct hbm_wlr_allocator_options *options, struct wlr_allocator **out)
{
	if (!options || !out || options->size < HBM_WLR_ALLOCATOR_OPTIONS_SIZE_V1 || !options->ctx) {
		wlr_log(WLR_ERROR, "hbm_wlr_allocator_create: options (with their size and a context) and out are needed");
		return -EINVAL;
	}
	struct hbm_wlr_allocator *allocator = calloc(1, sizeof(*allocator));
	if (!allocator)
		return -ENOMEM;
	allocator->ctx = options->ctx;
	allocator->renderer = options->renderer;
	wl_list_init(&allocator->buffers);
	if (options->drm_fd >= 0) {
		/* The planes, probed for foreign import with the context's own memory. */
		int err = hbm_participant_create_for_kms_plane_type(options->drm_fd, HBM_PLANE_PRIMARY, options->crtc_mask,
								    options->ctx, &allocator->primary);
		if (err != 0) {
			wlr_log(WLR_ERROR, "hbm: the primary plane: %s", hbm_last_error());
			free(allocator);
			return err;
		}
		if (hbm_participant_create_for_kms_plane_type(options->drm_fd, HBM_PLANE_CURSOR, options->crtc_mask,
							      options->ctx, &allocator->cursor) != 0)
			allocator->cursor = NULL; /* no cursor plane: every buffer is the primary's */
		if (drmGetCap(options->drm_fd, DRM_CAP_CURSOR_WIDTH, &allocator->cursor_width) != 0 ||
		    drmGetCap(options->drm_fd, DRM_CAP_CURSOR_HEIGHT, &allocator->cursor_height) != 0)
			allocator->cursor_width = allocator->cursor_height = 64;
	}
	wlr_allocator_init(&allocator->base, &allocator_impl, WLR_BUFFER_CAP_DMABUF | WLR_BUFFER_CAP_DATA_PTR);
	*out = &allocator->base;
	return 0;
}

int hbm_wlr_allocator_is_hbm(const struct wlr_allocator *allocator)
{
	return allocator_from(allocator) != NULL;
}

int hbm_wlr_allocator_add_participant(struct wlr_allocator *base, const struct hbm_participant *participant)
{
	struct hbm_wlr_allocator *allocator = allocator_from(base);
	if (!allocator || !participant)
		return -EINVAL;
	if (allocator->extra_count >= 64)
		return -E2BIG;
	const struct hbm_participant **extra =
		realloc(allocator->extra, (allocator->extra_count + 1) * sizeof(*allocator->extra));
	if (!extra)
		return -ENOMEM;
	extra[allocator->extra_count++] = participant;
	allocator->extra = extra;
	return 0;
}

void hbm_wlr_allocator_clear_participants(struct wlr_allocator *base)
{
	struct hbm_wlr_allocator *allocator = allocator_from(base);
	if (!allocator)
		return;
	free(allocator->extra);
	allocator->extra = NULL;
	allocator->extra_count = 0;
}

int hbm_wlr_allocator_get_stats(const struct wlr_allocator *base, struct hbm_wlr_allocator_stats *out)
{
	const struct hbm_wlr_allocator *allocator = allocator_from(base);
	if (!allocator || !out || out->size < HBM_WLR_ALLOCATOR_STATS_SIZE_V1)
		return -EINVAL;
	out->buffers_created = allocator->created;
	out->buffers_refused = allocator->refused;
	out->buffers_alive = allocator->alive;
	return 0;
}

struct hbm_buffer *hbm_wlr_buffer_get_hbm_buffer(struct wlr_buffer *base)
{
	struct hbm_wlr_buffer *buffer = buffer_from(base);
	return buffer ? buffer->hbm : NULL;
}
