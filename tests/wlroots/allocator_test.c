/* SPDX-License-Identifier: MIT */
/* libhbm-wlroots from C, as wlroots calls it (wlr_allocator_create_buffer), with no
 * backend: the bad input issue 18 names, each answered with NULL and a logged sentence and
 * no crash. With the system heap (the lab) buffers are made: their dma-buf attributes,
 * data-pointer access bracketing hbm's CPU access, only offered modifiers, and buffers
 * outliving the allocator, a renderer (pixman) refusing one at import, and vicodec's encoder
 * as the extra participant tinywl_hbm --encode adds: refused at attach when its queue is
 * set for another size, and reading a buffer in place when not. On the host (no dma-buf
 * memory) every buffer is refused, which is checked as such; the lab runs the rest. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wlr/render/allocator.h>
#include <wlr/render/drm_format_set.h>
#include <wlr/render/pixman.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>

#include <hbm/hbm-wlroots.h>

#include "../abi/check.h"
#include "tinywl_encoder.h"

static char last_log[1024];

static void capture(enum wlr_log_importance importance, const char *fmt, va_list args)
{
	if (importance == WLR_ERROR)
		vsnprintf(last_log, sizeof(last_log), fmt, args);
}

/* A wlr_drm_format of @format with @count modifiers (flexible array, as wlroots makes). */
static struct wlr_drm_format *drm_format(uint32_t format, const uint64_t *modifiers, size_t count)
{
	struct wlr_drm_format *f = calloc(1, sizeof(*f) + count * sizeof(uint64_t));
	f->format = format;
	f->len = count;
	f->capacity = count;
	if (count)
		memcpy(f->modifiers, modifiers, count * sizeof(uint64_t));
	return f;
}

/* A request refused: NULL, counted, and a sentence in wlroots' log. */
static void refused(struct wlr_allocator *allocator, int width, int height, const struct wlr_drm_format *format,
		    const char *says)
{
	struct hbm_wlr_allocator_stats before = {.size = sizeof(before)}, after = {.size = sizeof(after)};
	hbm_wlr_allocator_get_stats(allocator, &before);
	last_log[0] = '\0';
	struct wlr_buffer *buffer = wlr_allocator_create_buffer(allocator, width, height, format);
	CHECK(buffer == NULL);
	if (buffer)
		wlr_buffer_drop(buffer);
	hbm_wlr_allocator_get_stats(allocator, &after);
	CHECK(after.buffers_refused == before.buffers_refused + 1);
	CHECK(strstr(last_log, says) != NULL);
	printf("wlroots-allocator: %dx%d refused: %s\n", width, height, last_log);
}

/* vicodec's encoder as tinywl_hbm --encode adds it (examples/tinywl_encoder.c): a queue set
 * for 640x480 refuses a 1024x768 output buffer at attach, naming itself; one set for the
 * output's size gets buffers it then reads in place. */
static void encoder_checks(struct wlr_allocator *allocator, const struct wlr_drm_format *xr24)
{
	struct tinywl_encoder *small = tinywl_encoder_open("encoder-test.fwht", 640, 480);
	if (!small) {
		printf("wlroots-allocator: no vicodec encoder here: its checks are the lab's\n");
		CHECK(getenv("HBM_LAB") == NULL);
		return;
	}
	CHECK(hbm_wlr_allocator_add_participant(allocator, tinywl_encoder_participant(small)) == 0);
	refused(allocator, 1024, 768, xr24, "vicodec output queue");
	/* As data: the queue lays XRGB8888 out itself at 640x480 only. */
	CHECK(hbm_last_reason() == HBM_REASON_FIXED_SIZE);
	int fixed_size_by_queue = 0;
	for (uint32_t i = 0; i < hbm_last_rejection_count(); i++) {
		struct hbm_rejection r = {.size = sizeof(r)};
		if (hbm_last_rejection(i, &r) == 0 && r.reason == HBM_REASON_FIXED_SIZE && r.set_by_count == 1 &&
		    strstr(r.set_by[0], "vicodec output queue") && r.value == (1024ull << 32 | 768) &&
		    r.limit == (640ull << 32 | 480))
			fixed_size_by_queue = 1;
	}
	CHECK(fixed_size_by_queue);
	hbm_wlr_allocator_clear_participants(allocator);
	tinywl_encoder_destroy(small);

	struct tinywl_encoder *encoder = tinywl_encoder_open("encoder-test.fwht", 1024, 768);
	CHECK(encoder != NULL);
	if (!encoder)
		return;
	CHECK(hbm_wlr_allocator_add_participant(allocator, tinywl_encoder_participant(encoder)) == 0);
	struct wlr_buffer *frame = wlr_allocator_create_buffer(allocator, 1024, 768, xr24);
	hbm_wlr_allocator_clear_participants(allocator);
	CHECK(frame != NULL);
	struct wlr_dmabuf_attributes d;
	if (frame && wlr_buffer_get_dmabuf(frame, &d)) {
		void *data = NULL;
		uint32_t format = 0;
		size_t stride = 0;
		if (wlr_buffer_begin_data_ptr_access(frame, WLR_BUFFER_DATA_PTR_ACCESS_WRITE, &data, &format, &stride)) {
			memset(data, 0x80, stride * 768);
			wlr_buffer_end_data_ptr_access(frame);
		}
		CHECK(tinywl_encoder_encode(encoder, hbm_wlr_buffer_get_hbm_buffer(frame), d.fd[0]) == 0);
		CHECK(tinywl_encoder_encode(encoder, hbm_wlr_buffer_get_hbm_buffer(frame), d.fd[0]) == 0);
		struct tinywl_encoder_stats stats;
		tinywl_encoder_get_stats(encoder, &stats);
		struct stat st;
		CHECK(fstat(d.fd[0], &st) == 0 && stats.frames == 2 && stats.bytes > 0 && stats.inodes == 1 &&
		      stats.inode[0] == (unsigned long)st.st_ino);
		printf("wlroots-allocator: vicodec encoded a 1024x768 output buffer twice in place (%llu bytes, inode %lu)\n",
		       stats.bytes, stats.inode[0]);
	}
	if (frame)
		wlr_buffer_drop(frame);
	tinywl_encoder_destroy(encoder);
}

int main(void)
{
	const int with_memory = access("/dev/dma_heap/system", R_OK) == 0;
	if (!with_memory && getenv("HBM_LAB")) {
		fprintf(stderr, "wlroots-allocator: the lab guest has no /dev/dma_heap/system\n");
		return 1;
	}
	wlr_log_init(WLR_ERROR, capture);
	const char *heaps[] = {"system"};
	struct hbm_context_options context_options = {.size = sizeof(context_options), .heaps = heaps,
						      .heap_count = with_memory ? 1 : 0};
	struct hbm_context *ctx = NULL;
	CHECK(hbm_context_create_with_options(&context_options, &ctx) == 0);

	struct wlr_allocator *allocator = NULL;
	CHECK(hbm_wlr_allocator_create(NULL, &allocator) == -EINVAL && allocator == NULL);
	struct hbm_wlr_allocator_options no_context = {.size = sizeof(no_context), .drm_fd = -1};
	CHECK(hbm_wlr_allocator_create(&no_context, &allocator) == -EINVAL && allocator == NULL);
	struct hbm_wlr_allocator_options options = {.size = sizeof(options), .ctx = ctx, .drm_fd = -1};
	CHECK(hbm_wlr_allocator_create(&options, &allocator) == 0 && allocator != NULL);
	if (!allocator)
		return 1;
	CHECK(hbm_wlr_allocator_is_hbm(allocator));
	CHECK(allocator->buffer_caps == (WLR_BUFFER_CAP_DMABUF | WLR_BUFFER_CAP_DATA_PTR));

	const uint64_t linear = DRM_FORMAT_MOD_LINEAR, invalid = DRM_FORMAT_MOD_INVALID;
	struct wlr_drm_format *xr24 = drm_format(DRM_FORMAT_XRGB8888, &linear, 1);
	/* Bad input, refused whatever memory there is. */
	refused(allocator, 0, 64, xr24, "width and height must be positive");
	refused(allocator, -5, 64, xr24, "width and height must be positive");
	refused(allocator, 100000, 64, xr24, "100000x64");
	struct wlr_drm_format *none = drm_format(DRM_FORMAT_XRGB8888, NULL, 0);
	refused(allocator, 64, 64, none, "wlroots offered no modifier");
	struct wlr_drm_format *nope = drm_format(fourcc_code('N', 'O', 'P', 'E'), &linear, 1);
	refused(allocator, 64, 64, nope, "64x64 NOPE");
	uint32_t nv12 = DRM_FORMAT_NV12;
	struct hbm_participant *encoder = NULL;
	CHECK(hbm_participant_create_for_formats("encoder", &nv12, &linear, 1, &encoder) == 0);
	CHECK(hbm_wlr_allocator_add_participant(NULL, encoder) == -EINVAL);

	/* 10,000 modifiers, LINEAR among them. */
	uint64_t *many = malloc(10000 * sizeof(uint64_t));
	for (size_t i = 0; i < 10000; i++)
		many[i] = fourcc_mod_code(INTEL, i + 100);
	many[9999] = linear;
	struct wlr_drm_format *long_list = drm_format(DRM_FORMAT_XRGB8888, many, 10000);

	if (!with_memory) {
		refused(allocator, 64, 64, xr24, "64x64 XR24");
		refused(allocator, 64, 64, long_list, "64x64 XR24");
		printf("wlroots-allocator: no dma-buf memory here: the refusals only (the lab runs the rest)\n");
	} else {
		/* An encoder-like participant that takes only NV12: XRGB8888 output buffers are
		 * refused naming it, and without it the compositor goes on. */
		CHECK(hbm_wlr_allocator_add_participant(allocator, encoder) == 0);
		refused(allocator, 64, 64, xr24, "encoder (declared)");
		hbm_wlr_allocator_clear_participants(allocator);
		struct wlr_buffer *buffer = wlr_allocator_create_buffer(allocator, 256, 128, xr24);
		CHECK(buffer != NULL);
		struct wlr_dmabuf_attributes d;
		CHECK(buffer && wlr_buffer_get_dmabuf(buffer, &d));
		CHECK(buffer && d.width == 256 && d.height == 128 && d.format == DRM_FORMAT_XRGB8888 &&
		      d.modifier == DRM_FORMAT_MOD_LINEAR && d.n_planes == 1 && d.fd[0] >= 0 && d.stride[0] >= 1024);
		CHECK(buffer && hbm_wlr_buffer_get_hbm_buffer(buffer) != NULL);
		/* Data-pointer access is hbm's CPU access: write, then read back through hbm. */
		void *data = NULL;
		uint32_t format = 0;
		size_t stride = 0;
		CHECK(buffer && wlr_buffer_begin_data_ptr_access(buffer, WLR_BUFFER_DATA_PTR_ACCESS_WRITE, &data, &format,
								 &stride));
		if (data) {
			memset(data, 0x5a, stride * 128);
			wlr_buffer_end_data_ptr_access(buffer);
			struct hbm_cpu_access *access = NULL;
			CHECK(hbm_buffer_begin_cpu_access(hbm_wlr_buffer_get_hbm_buffer(buffer), HBM_CPU_READ, &access) == 0);
			size_t size = 0;
			const unsigned char *bytes = hbm_cpu_access_plane_data(access, 0, &size);
			CHECK(bytes && size >= stride * 128 && bytes[0] == 0x5a && bytes[stride * 128 - 1] == 0x5a);
			hbm_cpu_access_end(access);
		}
		/* Only an offered modifier comes back: INVALID alone gets a linear buffer announced
		 * as INVALID (the driver's implicit layout of untiled memory), as wlroots' dumb
		 * allocator does; INVALID and LINEAR get LINEAR. */
		struct wlr_drm_format *implicit = drm_format(DRM_FORMAT_XRGB8888, &invalid, 1);
		struct wlr_buffer *announced = wlr_allocator_create_buffer(allocator, 64, 64, implicit);
		CHECK(announced && wlr_buffer_get_dmabuf(announced, &d) && d.modifier == DRM_FORMAT_MOD_INVALID);
		CHECK(announced && hbm_buffer_get_modifier(hbm_wlr_buffer_get_hbm_buffer(announced)) == DRM_FORMAT_MOD_LINEAR);
		if (announced)
			wlr_buffer_drop(announced);
		free(implicit);
		const uint64_t both[] = {DRM_FORMAT_MOD_INVALID, DRM_FORMAT_MOD_LINEAR};
		struct wlr_drm_format *either = drm_format(DRM_FORMAT_XRGB8888, both, 2);
		struct wlr_buffer *explicit_linear = wlr_allocator_create_buffer(allocator, 64, 64, either);
		CHECK(explicit_linear && wlr_buffer_get_dmabuf(explicit_linear, &d) && d.modifier == DRM_FORMAT_MOD_LINEAR);
		if (explicit_linear)
			wlr_buffer_drop(explicit_linear);
		free(either);
		/* A renderer that refuses a buffer at import (pixman draws no NV12): the bind fails,
		 * the buffer stays whole and goes when dropped. */
		struct wlr_renderer *pixman = wlr_pixman_renderer_create();
		struct wlr_drm_format *nv12_linear = drm_format(DRM_FORMAT_NV12, &linear, 1);
		struct wlr_buffer *video = wlr_allocator_create_buffer(allocator, 64, 64, nv12_linear);
		CHECK(pixman && video);
		if (pixman && video) {
			CHECK(!wlr_renderer_begin_with_buffer(pixman, video));
			CHECK(wlr_buffer_get_dmabuf(video, &d) && d.n_planes == 2 && d.fd[0] >= 0 && fcntl(d.fd[0], F_GETFD) >= 0);
			printf("wlroots-allocator: pixman refused an NV12 buffer at import: %s\n", last_log);
		}
		if (video)
			wlr_buffer_drop(video);
		if (pixman)
			wlr_renderer_destroy(pixman);
		free(nv12_linear);
		encoder_checks(allocator, xr24);
		struct wlr_buffer *from_long = wlr_allocator_create_buffer(allocator, 64, 64, long_list);
		CHECK(from_long != NULL);
		CHECK(from_long && wlr_buffer_get_dmabuf(from_long, &d) && d.modifier == DRM_FORMAT_MOD_LINEAR);
		struct hbm_wlr_allocator_stats stats = {.size = sizeof(stats)};
		CHECK(hbm_wlr_allocator_get_stats(allocator, &stats) == 0 && stats.buffers_alive == 2);
		printf("wlroots-allocator: %llu buffers made, %llu refused, %u alive\n",
		       (unsigned long long)stats.buffers_created, (unsigned long long)stats.buffers_refused,
		       stats.buffers_alive);
		/* The allocator goes while the output still holds its buffers. */
		wlr_allocator_destroy(allocator);
		allocator = NULL;
		if (from_long)
			wlr_buffer_drop(from_long);
		if (buffer)
			wlr_buffer_drop(buffer);
	}
	if (allocator)
		wlr_allocator_destroy(allocator);
	free(xr24);
	free(none);
	free(nope);
	free(long_list);
	free(many);
	hbm_participant_destroy(encoder);
	hbm_context_destroy(ctx);
	printf("wlroots-allocator: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
