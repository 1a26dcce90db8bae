/* SPDX-License-Identifier: MIT */
/* hbm.h's convention (the top of hbm.h), pinned from C (C11, -pedantic): the size rule of
 * extensible structs from an older and a newer program, NULL options, out-pointers left
 * untouched on failure, -ERANGE past the end, uint64_t devices and callbacks that take the
 * caller's pointer last. libhbm-wayland's and libhbm-egl's C tests pin the same on their
 * headers. Runs on the host (memfd alone) and in the lab. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <hbm/hbm.h>

#include "check.h"

/* What a failing call must leave in *out: the caller's own value. */
#define UNTOUCHED ((void *)0x5eed)

/* Devices are uint64_t everywhere, never dev_t. */
_Static_assert(sizeof(((struct hbm_participant_info *)0)->device) == sizeof(uint64_t), "device is uint64_t");
_Static_assert(sizeof(((struct hbm_constraints *)0)->local_to_device) == sizeof(uint64_t), "device is uint64_t");
_Static_assert(sizeof(((struct hbm_plan_info *)0)->local_to_device) == sizeof(uint64_t), "device is uint64_t");
/* Every struct begins with its size. */
_Static_assert(offsetof(struct hbm_plane_import, size) == 0, "struct hbm_plane_import begins with size");
_Static_assert(offsetof(struct hbm_allocate_options, size) == 0, "struct hbm_allocate_options begins with size");
_Static_assert(offsetof(struct hbm_import_options, size) == 0, "struct hbm_import_options begins with size");
/* A first size is frozen at the fields the first version had. */
_Static_assert(HBM_PARTICIPANT_INFO_SIZE_V1 < sizeof(struct hbm_participant_info), "participant info grew since 1.0");

/*
 * struct hbm_participant_info as hbm.h 1.0 declared it, before the Wayland tranche fields
 * were appended: what a program built then passes to today's library.
 */
struct participant_info_v1 {
	uint32_t size;
	uint32_t kind;
	const char *name;
	const char *source;
	const char *driver;
	uint64_t device;
	uint32_t plane_id;
	uint32_t plane_type;
	uint32_t possible_crtcs;
	uint32_t v4l2_queue;
};

/* Callbacks are hbm_*_func with the caller's pointer last: these assign without a cast. */
static int destroyed;
static void on_destroy(struct hbm_buffer *buffer, void *user_data)
{
	(void)buffer;
	CHECK(user_data == &destroyed);
	destroyed++;
}
static void on_log(enum hbm_log_level level, const char *category, const char *message, void *user_data)
{
	(void)level;
	(void)category;
	(void)message;
	(void)user_data;
}

static struct hbm_context *memfd_context(void)
{
	struct hbm_context *ctx = NULL;
	CHECK(hbm_context_create_with_options(NULL, &ctx) == 0);
	return ctx;
}

/* An older program's smaller struct: read and written only as far as its size goes. */
static void old_program(void)
{
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	struct hbm_participant *p = NULL;
	struct {
		struct participant_info_v1 info;
		unsigned char after[64];
	} old;
	size_t i;
	int intact = 1;

	CHECK(sizeof(old.info) >= HBM_PARTICIPANT_INFO_SIZE_V1);
	CHECK(hbm_participant_create_for_formats("panel", &xrgb, &linear, 1, &p) == 0);
	memset(&old, 0xa5, sizeof(old));
	old.info.size = sizeof(old.info);
	CHECK(hbm_participant_get_info(p, (struct hbm_participant_info *)(void *)&old.info) == 0);
	CHECK(old.info.size == sizeof(old.info));
	CHECK(old.info.kind == HBM_PARTICIPANT_DECLARED && strcmp(old.info.name, "panel (declared)") == 0);
	CHECK(old.info.device == 0);
	for (i = 0; i < sizeof(old.after); i++)
		intact &= old.after[i] == 0xa5;
	CHECK(intact); /* nothing written past the old program's struct */

	/* An in-struct of exactly its first size: the bytes after it are not read. */
	{
		struct {
			struct hbm_context_options options;
			unsigned char after[16];
		} first;
		struct hbm_context *ctx = NULL;
		memset(&first, 0xff, sizeof(first));
		memset(&first.options, 0, HBM_CONTEXT_OPTIONS_SIZE_V1);
		first.options.size = HBM_CONTEXT_OPTIONS_SIZE_V1;
		CHECK(hbm_context_create_with_options(&first.options, &ctx) == 0);
		CHECK(hbm_context_allocator_count(ctx) == 1);
		hbm_context_destroy(ctx);
	}
	/* Below the first size: refused, *out untouched. */
	{
		struct hbm_context_options options;
		struct hbm_context *ctx = UNTOUCHED;
		memset(&options, 0, sizeof(options));
		options.size = HBM_CONTEXT_OPTIONS_SIZE_V1 - 1;
		CHECK(hbm_context_create_with_options(&options, &ctx) == -EINVAL);
		CHECK(strstr(hbm_last_error(), "smaller than its first version") != NULL);
		CHECK(ctx == UNTOUCHED);
	}
	hbm_participant_destroy(p);
}

/* A newer program's larger struct: a zero tail asks for nothing more; any other is -E2BIG. */
static void newer_program(void)
{
	struct {
		struct hbm_context_options options;
		uint64_t tail;
	} options;
	struct {
		struct hbm_allocate_options options;
		uint64_t tail;
	} allocate;
	struct {
		struct hbm_participant_info info;
		uint64_t tail;
	} info;
	struct hbm_context *ctx = UNTOUCHED;
	struct hbm_buffer *buffer = UNTOUCHED;
	struct hbm_participant *p = NULL;
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;

	memset(&options, 0, sizeof(options));
	options.options.size = sizeof(options);
	options.tail = 1;
	CHECK(hbm_context_create_with_options(&options.options, &ctx) == -E2BIG);
	CHECK(strstr(hbm_last_error(), "newer hbm.h") != NULL);
	CHECK(ctx == UNTOUCHED);
	options.tail = 0;
	CHECK(hbm_context_create_with_options(&options.options, &ctx) == 0);

	memset(&allocate, 0, sizeof(allocate));
	allocate.options.size = sizeof(allocate);
	allocate.options.width = 16;
	allocate.options.height = 16;
	allocate.options.format = DRM_FORMAT_XRGB8888;
	allocate.options.allocator = "memfd";
	allocate.tail = 1ull << 63;
	CHECK(hbm_buffer_create(ctx, &allocate.options, &buffer) == -E2BIG);
	CHECK(buffer == UNTOUCHED);
	allocate.tail = 0;
	CHECK(hbm_buffer_create(ctx, &allocate.options, &buffer) == 0);
	hbm_buffer_unref(buffer);

	/* An out-struct: filled as far as this library knows, the rest zeroed (defaults). */
	CHECK(hbm_participant_create_for_formats("panel", &xrgb, &linear, 1, &p) == 0);
	memset(&info, 0xff, sizeof(info));
	info.info.size = sizeof(info);
	CHECK(hbm_participant_get_info(p, &info.info) == 0);
	CHECK(info.info.size == sizeof(info) && info.tail == 0 && info.info.kind == HBM_PARTICIPANT_DECLARED);
	hbm_participant_destroy(p);

	/* Arrays of structs are read at the caller's element size. */
	{
		struct newer_plane {
			struct hbm_plane_import plane;
			uint64_t tail;
		} planes[2];
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		memset(planes, 0, sizeof(planes));
		planes[0].plane.size = sizeof(planes[0]);
		planes[0].plane.fd = fd;
		planes[0].plane.stride = 64;
		planes[1] = planes[0];
		planes[1].tail = 7;
		buffer = UNTOUCHED;
		CHECK(hbm_buffer_create_from_fds(IMPORT_OPTIONS(.width = 16, .height = 16, .format = DRM_FORMAT_NV12,
								.planes = &planes[0].plane, .plane_count = 2),
						 &buffer) == -E2BIG);
		CHECK(strstr(hbm_last_error(), "struct hbm_plane_import") != NULL);
		planes[1].tail = 0;
		planes[1].plane.size = sizeof(planes[1].plane);
		CHECK(hbm_buffer_create_from_fds(IMPORT_OPTIONS(.width = 16, .height = 16, .format = DRM_FORMAT_NV12,
								.planes = &planes[0].plane, .plane_count = 2),
						 &buffer) == -EINVAL);
		CHECK(strstr(hbm_last_error(), "every element of the array has the size") != NULL);
		CHECK(buffer == UNTOUCHED);
		close(fd);
	}
	hbm_context_destroy(ctx);
}

/* NULL options are the defaults: a zeroed struct, the same for C and C++. */
static void null_options(void)
{
	struct hbm_context_options zeroed;
	struct hbm_context *from_null = NULL, *from_zeroed = NULL;
	struct hbm_buffer *buffer = UNTOUCHED;
	struct hbm_description *description = UNTOUCHED;
	struct hbm_participant *p = NULL;
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;

	memset(&zeroed, 0, sizeof(zeroed));
	zeroed.size = sizeof(zeroed);
	CHECK(hbm_context_create_with_options(NULL, &from_null) == 0);
	CHECK(hbm_context_create_with_options(&zeroed, &from_zeroed) == 0);
	/* Both open nothing: memfd alone (hbm_context_create() is the one that probes). */
	CHECK(hbm_context_allocator_count(from_null) == 1 && hbm_context_allocator_count(from_zeroed) == 1);
	CHECK(strcmp(hbm_context_allocator_name(from_null, 0), "memfd") == 0);

	/* A call whose options have a required field refuses NULL as it refuses the zero. */
	CHECK(hbm_buffer_create(from_null, NULL, &buffer) == -EINVAL);
	CHECK(hbm_buffer_create_from_fds(NULL, &buffer) == -EINVAL);
	CHECK(hbm_description_create(from_null, NULL, &description) == -EINVAL);
	CHECK(buffer == UNTOUCHED && description == UNTOUCHED);
	CHECK(hbm_participant_create_for_formats("panel", &xrgb, &linear, 1, &p) == 0);
	CHECK(hbm_participant_add_constraints(p, NULL) == 0); /* none added */
	hbm_participant_destroy(p);
	hbm_context_destroy(from_null);
	hbm_context_destroy(from_zeroed);
}

/* On failure nothing is written through an out-pointer. */
static void untouched_on_failure(void)
{
	struct hbm_context *ctx = memfd_context();
	struct hbm_context *other = UNTOUCHED;
	struct hbm_participant *participant = UNTOUCHED;
	struct hbm_description *description = UNTOUCHED;
	struct hbm_pool *pool = UNTOUCHED;
	struct hbm_buffer *buffer = UNTOUCHED, *memfd = NULL;
	struct hbm_cpu_access *access = UNTOUCHED;
	struct hbm_kms *kms = UNTOUCHED;
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	struct hbm_request request = {.size = sizeof(request), .width = 64, .height = 64, .formats = &xrgb,
				      .format_count = 1};
	uint32_t stride = 7, formats[2] = {7, 7};
	uint64_t offset = 7;

	CHECK(hbm_context_create_for_drm_fd(-1, 0, &other) < 0);
	CHECK(hbm_participant_create_for_kms_plane(-1, 31, NULL, &participant) < 0);
	CHECK(hbm_participant_create_for_kms_plane_type(-1, HBM_PLANE_PRIMARY, 0, NULL, &participant) < 0);
	CHECK(hbm_participant_create_for_v4l2(-1, HBM_V4L2_CAPTURE, 64, 64, &participant) < 0);
	CHECK(hbm_participant_create_declared(ctx, "nobody", &participant) < 0);
	CHECK(hbm_participant_create_for_formats("panel", NULL, NULL, 0, &participant) < 0);
	struct hbm_request bad = request;
	bad.width = 0;
	CHECK(hbm_description_create(ctx, &bad, &description) == -EINVAL); /* a bad request */
	struct hbm_pool_options pool_options = {sizeof pool_options, 2, &request, NULL, 0};
	CHECK(hbm_pool_create_with_options(ctx, &pool_options, &pool) < 0);
	CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 0, .height = 64, .format = xrgb), &buffer) < 0);
	CHECK(hbm_buffer_receive(-1, &buffer) < 0);
	CHECK(hbm_kms_create_for_drm_fd(-1, &kms) < 0);
	CHECK(other == UNTOUCHED && participant == UNTOUCHED && description == UNTOUCHED && pool == UNTOUCHED);
	CHECK(buffer == UNTOUCHED && kms == UNTOUCHED);

	CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 16, .height = 16, .format = xrgb, .allocator = "memfd"),
				&memfd) == 0);
	CHECK(hbm_buffer_begin_cpu_access(memfd, (enum hbm_cpu_access_mode)0, &access) == -EINVAL);
	CHECK(access == UNTOUCHED);
	CHECK(hbm_buffer_get_plane(memfd, 1, &stride, &offset) == -ERANGE);
	CHECK(stride == 7 && offset == 7);
	CHECK(hbm_context_allocator_get_formats(ctx, 1, formats, 2) == -ERANGE);
	CHECK(formats[0] == 7 && formats[1] == 7);
	hbm_buffer_unref(memfd);
	hbm_context_destroy(ctx);
}

/* An index past the end: -ERANGE from a call returning int, NULL or 0 from a getter. */
static void past_the_end(void)
{
	struct hbm_context *ctx = memfd_context();
	struct hbm_buffer *buffer = NULL;
	struct hbm_rejection rejection;
	uint64_t modifiers[1];

	CHECK(hbm_context_allocator_get_formats(ctx, 1, NULL, 0) == -ERANGE);
	CHECK(hbm_context_allocator_get_modifiers(ctx, 1, DRM_FORMAT_XRGB8888, modifiers, 1) == -ERANGE);
	CHECK(hbm_context_allocator_name(ctx, 1) == NULL);
	CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 16, .height = 16, .format = DRM_FORMAT_XRGB8888,
						      .allocator = "memfd"),
				&buffer) == 0);
	CHECK(hbm_buffer_get_plane(buffer, 1, NULL, NULL) == -ERANGE);
	CHECK(hbm_buffer_export_plane_fd(buffer, 1) == -ERANGE);
	memset(&rejection, 0, sizeof(rejection));
	rejection.size = sizeof(rejection);
	CHECK(hbm_last_rejection(hbm_last_rejection_count(), &rejection) == -ERANGE);
	hbm_buffer_unref(buffer);
	hbm_context_destroy(ctx);
}

/* Callbacks get the caller's pointer back, last. */
static void callbacks(void)
{
	struct hbm_context *ctx = memfd_context();
	struct hbm_buffer *buffer = NULL;
	hbm_buffer_destroy_func destroy = on_destroy;
	hbm_log_func log = on_log;

	hbm_set_log_handler(log, &destroyed);
	hbm_set_log_handler(NULL, NULL);
	CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 16, .height = 16, .format = DRM_FORMAT_XRGB8888,
						      .allocator = "memfd"),
				&buffer) == 0);
	hbm_buffer_set_user_data(buffer, &destroyed, destroy);
	hbm_buffer_unref(buffer);
	CHECK(destroyed == 1);
	hbm_context_destroy(ctx);
}

int main(void)
{
	old_program();
	newer_program();
	null_options();
	untouched_on_failure();
	past_the_end();
	callbacks();
	printf("c-convention: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
