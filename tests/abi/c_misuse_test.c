/* SPDX-License-Identifier: MIT */
/* The catalogue of C ABI misuse (docs/hostile-inputs.md, "C ABI misuse"), from C: NULL
 * handles and out-pointers, struct sizes, unknown flags and modes, arrays that disagree
 * with their counts, tokens and handles of the wrong kind, and what stays safe once a
 * context is gone. Each check names its row. Rows that need dma-buf memory (a description,
 * a pool) run where a dma-heap exists: the lab, where they must. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <hbm/hbm.h>

#include "check.h"

/* The request most rows start from: 64x64 in the one format @xrgb points at. */
static struct hbm_request xrgb_request(const uint32_t *xrgb)
{
	struct hbm_request request;

	memset(&request, 0, sizeof(request));
	request.size = sizeof(request);
	request.width = 64;
	request.height = 64;
	request.formats = xrgb;
	request.format_count = 1;
	return request;
}

static int row;

/* CHECK that names the catalogue's row. */
#define ROW_CHECK(cond)                                                                                                \
	do {                                                                                                           \
		if (cond) {                                                                                            \
			passed++;                                                                                      \
		} else {                                                                                               \
			failed++;                                                                                      \
			fprintf(stderr, "%s:%d: row %d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, row,  \
				#cond, hbm_last_error());                                                              \
		}                                                                                                      \
	} while (0)
/* A pool of two for @request and @count participants at @parts. */
#define POOL_OPTIONS(request_, parts, count)                                                                           \
	(&(struct hbm_pool_options){sizeof(struct hbm_pool_options), 2, (request_), (parts), (count)})
/* The sentence of an error that is no refusal (a refusal is asserted by its fields). */
#define SAYS(needle) ROW_CHECK(strstr(hbm_last_error(), (needle)) != NULL)
/* Every usage bit hbm.h defines: the limit of an invalid-request rejection for usage. */
#define DEFINED_USAGE                                                                                                  \
	(HBM_USAGE_SCANOUT | HBM_USAGE_RENDER | HBM_USAGE_TEXTURE | HBM_USAGE_CURSOR | HBM_USAGE_CPU_READ |            \
	 HBM_USAGE_CPU_WRITE)

/* A context that opens nothing: memfd alone. */
static struct hbm_context *memfd_context(void)
{
	struct hbm_context_options options;
	struct hbm_context *ctx = NULL;
	memset(&options, 0, sizeof(options));
	options.size = sizeof(options);
	CHECK(hbm_context_create_with_options(&options, &ctx) == 0);
	return ctx;
}

static size_t open_fds(void)
{
	size_t n = 0;
	int fd;
	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* Rows 1-17: contexts and their allocators. */
static void contexts(void)
{
	struct {
		struct hbm_context_options options;
		uint64_t tail;
	} newer;
	struct hbm_context_options options;
	struct hbm_context *ctx = NULL;
	const char *heaps[1];
	const int bad_fd = -1;
	uint32_t formats[4] = {7, 7, 7, 7};
	uint64_t modifiers[2];
	int count;

	row = 1;
	ROW_CHECK(hbm_context_create(NULL) == -EINVAL);
	SAYS("hbm_context_create: out is NULL");
	memset(&options, 0, sizeof(options));
	options.size = sizeof(options);
	row = 2;
	ROW_CHECK(hbm_context_create_with_options(&options, NULL) == -EINVAL);
	SAYS("out is NULL");
	row = 3; /* larger than this library knows: a zero tail asks for nothing more, any other is refused */
	memset(&newer, 0, sizeof(newer));
	newer.options.size = sizeof(newer);
	ROW_CHECK(hbm_context_create_with_options(&newer.options, &ctx) == 0);
	hbm_context_destroy(ctx);
	ctx = NULL;
	newer.tail = ~0ull;
	ROW_CHECK(hbm_context_create_with_options(&newer.options, &ctx) == -E2BIG);
	SAYS("past the");
	ROW_CHECK(ctx == NULL);
	row = 4;
	options.heap_count = 1;
	ROW_CHECK(hbm_context_create_with_options(&options, &ctx) == -EINVAL);
	SAYS("a count is set but its array is NULL");
	row = 5;
	heaps[0] = NULL;
	options.heaps = heaps;
	ROW_CHECK(hbm_context_create_with_options(&options, &ctx) == -EINVAL);
	SAYS("heap name 0 is NULL");
	row = 6;
	heaps[0] = "no-such-heap";
	ROW_CHECK(hbm_context_create_with_options(&options, &ctx) == -ENOENT);
	SAYS("no-such-heap");
	row = 7;
	heaps[0] = "";
	ROW_CHECK(hbm_context_create_with_options(&options, &ctx) == -ENOENT);
	SAYS("no dma-heap named '' here");
	row = 8; /* names are matched against the heaps listed, never made into paths */
	heaps[0] = "../../../dev/null";
	ROW_CHECK(hbm_context_create_with_options(&options, &ctx) == -ENOENT);
	SAYS("no dma-heap named '../../../dev/null' here");
	heaps[0] = "..";
	ROW_CHECK(hbm_context_create_with_options(&options, &ctx) == -ENOENT);
	options.heap_count = 0;
	options.heaps = NULL;
	row = 9;
	options.drm_fds = &bad_fd;
	options.drm_fd_count = 1;
	ROW_CHECK(hbm_context_create_with_options(&options, &ctx) == -EBADF);
	row = 10; /* an array with a zero count: not read */
	options.drm_fd_count = 0;
	ROW_CHECK(hbm_context_create_with_options(&options, &ctx) == 0);
	ROW_CHECK(hbm_context_allocator_count(ctx) == 1);
	hbm_context_destroy(ctx);
	ctx = NULL;
	options.drm_fds = NULL;
	row = 11;
	options.config_text = "";
	ROW_CHECK(hbm_context_create_with_options(&options, &ctx) == 0);
	hbm_context_destroy(ctx);
	ctx = NULL;
	row = 12;
	options.config_text = "[heap";
	ROW_CHECK(hbm_context_create_with_options(&options, &ctx) == -EINVAL);
	SAYS("config_text:1");
	ROW_CHECK(ctx == NULL);
	options.config_text = NULL;
	row = 13;
	ROW_CHECK(hbm_context_create_for_drm_fd(-1, 1u << 31, &ctx) == -EINVAL);
	SAYS("unknown flags 0x80000000");

	ctx = memfd_context();
	row = 14;
	ROW_CHECK(hbm_context_allocator_count(NULL) == 0);
	ROW_CHECK(hbm_context_allocator_name(NULL, 0) == NULL);
	ROW_CHECK(hbm_context_allocator_name(ctx, (size_t)-1) == NULL);
	row = 15; /* NULL with a capacity: a counting call, nothing written */
	count = hbm_context_allocator_get_formats(ctx, 0, NULL, 4);
	ROW_CHECK(count > 4);
	row = 16; /* an array with capacity 0: counted, not written */
	ROW_CHECK(hbm_context_allocator_get_formats(ctx, 0, formats, 0) == count);
	ROW_CHECK(formats[0] == 7 && formats[3] == 7);
	row = 17;
	ROW_CHECK(hbm_context_allocator_get_modifiers(ctx, 5, DRM_FORMAT_XRGB8888, modifiers, 2) == -ERANGE);
	SAYS("no allocator 5 (the context has 1)");
	ROW_CHECK(hbm_context_allocator_get_modifiers(NULL, 0, DRM_FORMAT_XRGB8888, modifiers, 2) == -EINVAL);
	SAYS("ctx is NULL");
	hbm_context_destroy(ctx);
}

/* Rows 18-27: participants and the constraints added to them. */
static void participants(void)
{
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	const char *none[1] = {NULL};
	const char *reserved[1] = {"dma-heap:reserved"};
	const char *system[1] = {"dma-heap:system"};
	struct hbm_participant *p = NULL, *other = NULL;
	struct hbm_participant_info info;
	struct hbm_constraints c, before, after;
	struct hbm_rejection rejection;
	struct {
		struct hbm_constraints c;
		uint32_t tail;
	} newer;
	struct hbm_context_options options;
	struct hbm_context *ctx = NULL;

	row = 18;
	ROW_CHECK(hbm_participant_create_for_kms_plane(-1, 31, NULL, NULL) == -EINVAL);
	SAYS("out is NULL");
	ROW_CHECK(hbm_participant_create_for_kms_plane_type(-1, HBM_PLANE_PRIMARY, 0, NULL, NULL) == -EINVAL);
	row = 19;
	ROW_CHECK(hbm_participant_create_for_v4l2(-1, HBM_V4L2_CAPTURE, 64, 64, NULL) == -EINVAL);
	ROW_CHECK(hbm_participant_create_for_v4l2(-1, (enum hbm_v4l2_queue)7, 64, 64, &p) == -EINVAL);
	SAYS("7 is not a queue");
	row = 20;
	memset(&options, 0, sizeof(options));
	options.size = sizeof(options);
	options.config_text = "[participant.camera]\nformats = [\"NV12\"]\n";
	CHECK(hbm_context_create_with_options(&options, &ctx) == 0);
	ROW_CHECK(hbm_participant_create_declared(ctx, NULL, &p) == -EINVAL);
	ROW_CHECK(hbm_participant_create_declared(ctx, "camera", NULL) == -EINVAL);
	ROW_CHECK(hbm_participant_create_declared(ctx, "", &p) == -ENOENT);
	SAYS("declared: camera");
	row = 21; /* a participant outlives the context it was declared in */
	ROW_CHECK(hbm_participant_create_declared(ctx, "camera", &other) == 0);
	hbm_context_destroy(ctx);
	ROW_CHECK(other && strcmp(hbm_participant_get_name(other), "camera (declared)") == 0);
	hbm_participant_destroy(other);
	other = NULL;
	row = 22;
	ROW_CHECK(hbm_participant_create_for_formats("", &xrgb, &linear, 1, &p) == -EINVAL);
	SAYS("name (not empty)");
	ROW_CHECK(hbm_participant_create_for_formats("panel", NULL, &linear, 1, &p) == -EINVAL);
	ROW_CHECK(hbm_participant_create_for_formats("panel", &xrgb, &linear, 1, NULL) == -EINVAL);
	ROW_CHECK(p == NULL);

	CHECK(hbm_participant_create_for_formats("panel", &xrgb, &linear, 1, &p) == 0);
	row = 23;
	memset(&info, 0, sizeof(info));
	ROW_CHECK(hbm_participant_get_info(NULL, &info) == -EINVAL);
	ROW_CHECK(hbm_participant_get_info(p, NULL) == -EINVAL);
	SAYS("struct hbm_participant_info is NULL");
	ROW_CHECK(hbm_participant_get_info(p, &info) == -EINVAL); /* size 0 */
	SAYS("smaller than its first version");
	row = 24;
	memset(&c, 0, sizeof(c));
	ROW_CHECK(hbm_participant_get_constraints(p, NULL) == -EINVAL);
	c.size = 4;
	ROW_CHECK(hbm_participant_get_constraints(p, &c) == -EINVAL);
	/* a newer caller's out-struct: filled, its fields this library lacks zeroed (defaults) */
	memset(&newer, 0xff, sizeof(newer));
	newer.c.size = sizeof(newer);
	ROW_CHECK(hbm_participant_get_constraints(p, &newer.c) == 0);
	ROW_CHECK(newer.tail == 0 && newer.c.size == sizeof(newer));
	/* … and its in-struct asking for a field this library lacks: refused */
	newer.tail = 1;
	ROW_CHECK(hbm_participant_add_constraints(p, &newer.c) == -E2BIG);

	/* Rows 25-27: refusals of add_constraints change nothing. */
	memset(&before, 0, sizeof(before));
	before.size = sizeof(before);
	CHECK(hbm_participant_get_constraints(p, &before) == 0);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	row = 25;
	ROW_CHECK(hbm_participant_add_constraints(NULL, &c) == -EINVAL);
	c.flags = 1u << 8;
	ROW_CHECK(hbm_participant_add_constraints(p, &c) == -EINVAL);
	SAYS("unknown flags 0x100");
	c.flags = 0;
	c.offset_alignment = 1u << 25;
	ROW_CHECK(hbm_participant_add_constraints(p, &c) == -EINVAL);
	ROW_CHECK(hbm_last_reason() == HBM_REASON_INVALID_CONSTRAINT && hbm_last_rejection_count() == 1);
	ROW_CHECK(last_rejection(0, &rejection) == 0 && rejection.plane == 1); /* plane 1: the offset's */
	ROW_CHECK(rejection.value == 1u << 25 && rejection.limit == 1u << 24);
	ROW_CHECK(rejection.set_by_count == 1 && strcmp(rejection.set_by[0], "panel (declared)") == 0);
	c.offset_alignment = 0;
	row = 26;
	c.allowed_allocator_count = 1;
	ROW_CHECK(hbm_participant_add_constraints(p, &c) == -EINVAL);
	SAYS("allowed_allocator_count is set but allowed_allocators is NULL");
	c.allowed_allocators = none;
	ROW_CHECK(hbm_participant_add_constraints(p, &c) == -EINVAL);
	SAYS("allowed allocator 0 is NULL");
	c.allowed_allocators = reserved;
	CHECK(hbm_participant_add_constraints(p, &c) == 0);
	c.allowed_allocators = system;
	ROW_CHECK(hbm_participant_add_constraints(p, &c) == -EINVAL);
	ROW_CHECK(hbm_last_reason() == HBM_REASON_ALLOCATORS_CONFLICT); /* the core's one tightening */
	c.allowed_allocators = NULL;
	c.allowed_allocator_count = 0;
	row = 27;
	c.flags = HBM_CONSTRAINT_CACHED;
	c.local_to_device = 0x1234;
	CHECK(hbm_participant_add_constraints(p, &c) == 0);
	memset(&before, 0, sizeof(before));
	before.size = sizeof(before);
	CHECK(hbm_participant_get_constraints(p, &before) == 0);
	c.flags = HBM_CONSTRAINT_UNCACHED;
	c.local_to_device = 0;
	ROW_CHECK(hbm_participant_add_constraints(p, &c) == -EINVAL);
	ROW_CHECK(hbm_last_reason() == HBM_REASON_CACHING_CONFLICT);
	c.flags = 0;
	c.local_to_device = 0x5678;
	c.max_width = 16;
	ROW_CHECK(hbm_participant_add_constraints(p, &c) == -EINVAL);
	ROW_CHECK(hbm_last_reason() == HBM_REASON_DEVICES_CONFLICT);
	memset(&after, 0, sizeof(after));
	after.size = sizeof(after);
	CHECK(hbm_participant_get_constraints(p, &after) == 0);
	ROW_CHECK(after.max_width == before.max_width && after.flags == before.flags &&
		  after.local_to_device == 0x1234);
	hbm_participant_destroy(p);
}

/* Rows 28-33: requests, descriptions and pools, as far as the host goes. */
static void requests(struct hbm_context *ctx)
{
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	struct hbm_request request;
	struct {
		struct hbm_request request;
		uint32_t tail;
	} newer;
	struct hbm_description *description = NULL;
	struct hbm_pool *pool = NULL;
	struct hbm_participant *nobody[1] = {NULL};
	struct hbm_plan_info plan;
	struct hbm_lease *lease = NULL;
	struct hbm_rejection rejection;

	request = xrgb_request(&xrgb);
	row = 28;
	ROW_CHECK(hbm_description_create(NULL, &request, &description) == -EINVAL);
	/* NULL is a zeroed request: refused for what it lacks */
	ROW_CHECK(hbm_description_create(ctx, NULL, &description) == -EINVAL);
	ROW_CHECK(hbm_description_create(ctx, &request, NULL) == -EINVAL);
	memset(&newer, 0, sizeof(newer));
	newer.request = request;
	newer.request.size = sizeof(newer);
	newer.tail = 1;
	ROW_CHECK(hbm_description_create(ctx, &newer.request, &description) == -E2BIG);
	row = 29; /* usage bits hbm.h does not define */
	request.usage = 1u << 20;
	ROW_CHECK(hbm_description_create(ctx, &request, &description) == -EINVAL);
	ROW_CHECK(hbm_last_reason() == HBM_REASON_INVALID_REQUEST && hbm_last_rejection_count() == 1);
	ROW_CHECK(last_rejection(0, &rejection) == 0 && rejection.value == 1u << 20 && rejection.limit == DEFINED_USAGE);
	ROW_CHECK(hbm_pool_create_with_options(ctx, POOL_OPTIONS(&request, NULL, 0), &pool) == -EINVAL);
	request.usage = 0;
	ROW_CHECK(description == NULL && pool == NULL);
	row = 30;
	ROW_CHECK(hbm_description_attach(NULL, NULL) == -EINVAL);
	ROW_CHECK(hbm_description_get_plan(NULL, &plan) == -EINVAL);
	ROW_CHECK(hbm_description_get_trace_line(NULL, (size_t)-1) == NULL);
	row = 31;
	ROW_CHECK(hbm_pool_create(NULL, 2, &pool) == -EINVAL);
	ROW_CHECK(hbm_pool_create_with_options(NULL, POOL_OPTIONS(&request, NULL, 0), &pool) == -EINVAL);
	ROW_CHECK(hbm_pool_create_with_options(ctx, POOL_OPTIONS(&request, NULL, 1), &pool) == -EINVAL);
	SAYS("participant_count is 1 but participants is NULL");
	ROW_CHECK(hbm_pool_create_with_options(ctx, POOL_OPTIONS(&request, nobody, 1), &pool) == -EINVAL);
	SAYS("participants[0] is NULL");
	ROW_CHECK(hbm_pool_create_with_options(ctx, POOL_OPTIONS(NULL, NULL, 0), &pool) == -EINVAL);
	ROW_CHECK(hbm_pool_create_with_options(ctx, NULL, &pool) == -EINVAL);
	ROW_CHECK(pool == NULL);
	row = 32;
	ROW_CHECK(hbm_pool_acquire(NULL, &lease) == -EINVAL);
	ROW_CHECK(lease == NULL);
	row = 33;
	ROW_CHECK(hbm_kms_create_for_drm_fd(-1, NULL) == -EINVAL);
	ROW_CHECK(hbm_kms_add_framebuffer(NULL, NULL, NULL) == -EINVAL);
}

/* Rows 34-47: buffers, CPU access, fences and sharing on memfd memory. */
static void buffers(void)
{
	struct hbm_context *ctx = memfd_context();
	struct hbm_buffer *buffer = NULL, *received = NULL;
	struct hbm_cpu_access *access = NULL;
	struct hbm_rejection rejection;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	uint32_t stride = 0;
	size_t size = 99;
	int sv[2], pipe_fds[2];
	unsigned char *data;
	int fd;

	row = 34;
	ROW_CHECK(hbm_buffer_create(NULL, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888), &buffer) == -EINVAL);
	ROW_CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888), NULL) == -EINVAL);
	ROW_CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888, .modifier_count = 1), &buffer) == -EINVAL);
	SAYS("modifier_count is 1 but modifiers is NULL");
	row = 35;
	ROW_CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888, .allocator = "memfd", .modifiers = &linear, .modifier_count = 1, .usage = 1u << 20), &buffer) ==
		  -EINVAL);
	ROW_CHECK(hbm_last_reason() == HBM_REASON_INVALID_REQUEST && hbm_last_rejection_count() == 1);
	ROW_CHECK(last_rejection(0, &rejection) == 0 && rejection.value == 1u << 20 && rejection.limit == DEFINED_USAGE);
	row = 36;
	ROW_CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888, .allocator = "no-such-allocator"), &buffer) ==
		  -ENOENT);
	SAYS("no allocator named 'no-such-allocator' (here: memfd)");
	/* "" is no name: any allocator, as NULL; here memfd, which is not allowed unasked */
	ROW_CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888, .allocator = ""), &buffer) == -ENOTSUP);
	ROW_CHECK(hbm_last_reason() == HBM_REASON_CPU_ONLY && hbm_last_rejection_count() == 1);
	ROW_CHECK(last_rejection(0, &rejection) == 0 && strcmp(rejection.allocator, "memfd") == 0);
	ROW_CHECK(rejection.format == DRM_FORMAT_XRGB8888 && rejection.set_by_count == 0);
	ROW_CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = 0, .allocator = "memfd"), &buffer) == -EINVAL);
	ROW_CHECK(buffer == NULL);

	row = 37;
	ROW_CHECK(hbm_buffer_ref(NULL) == NULL);
	hbm_buffer_unref(NULL);
	ROW_CHECK(hbm_buffer_get_width(NULL) == 0 && hbm_buffer_get_height(NULL) == 0);
	ROW_CHECK(hbm_buffer_get_format(NULL) == 0 && hbm_buffer_get_plane_count(NULL) == 0);
	ROW_CHECK(hbm_buffer_get_modifier(NULL) == DRM_FORMAT_MOD_INVALID);
	ROW_CHECK(hbm_buffer_is_device_importable(NULL) == 0);

	CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888, .allocator = "memfd", .usage = HBM_USAGE_CPU_WRITE), &buffer) ==
	      0);
	row = 38; /* the buffer outlives its context */
	hbm_context_destroy(ctx);
	ctx = NULL;
	ROW_CHECK(hbm_buffer_get_width(buffer) == 64);
	row = 39;
	ROW_CHECK(hbm_buffer_get_plane(NULL, 0, &stride, NULL) == -EINVAL);
	ROW_CHECK(hbm_buffer_get_plane(buffer, 0xffffffffu, &stride, NULL) == -ERANGE);
	SAYS("no plane 4294967295 (the buffer has 1)");
	ROW_CHECK(hbm_buffer_export_plane_fd(NULL, 0) == -EINVAL);
	ROW_CHECK(hbm_buffer_export_plane_fd(buffer, 1) == -ERANGE);
	row = 40;
	ROW_CHECK(hbm_buffer_begin_cpu_access(NULL, HBM_CPU_READ, &access) == -EINVAL);
	ROW_CHECK(hbm_buffer_begin_cpu_access(buffer, HBM_CPU_READ, NULL) == -EINVAL);
	ROW_CHECK(hbm_buffer_begin_cpu_access(buffer, (enum hbm_cpu_access_mode) - 1, &access) == -EINVAL);
	SAYS("access mode -1 is none of");
	ROW_CHECK(access == NULL);
	row = 41; /* a NULL access, or a plane it does not have: NULL, and a size of 0 */
	ROW_CHECK(hbm_cpu_access_plane_data(NULL, 0, &size) == NULL);
	ROW_CHECK(size == 0);
	ROW_CHECK(hbm_cpu_access_end(NULL) == 0);
	CHECK(hbm_buffer_begin_cpu_access(buffer, HBM_CPU_WRITE, &access) == 0);
	size = 99;
	ROW_CHECK(hbm_cpu_access_plane_data(access, 1, &size) == NULL && size == 0);
	ROW_CHECK(hbm_cpu_access_plane_data(access, 0xffffffffu, NULL) == NULL);
	data = hbm_cpu_access_plane_data(access, 0, &size);
	ROW_CHECK(data != NULL && size == 64 * 256);
	if (data)
		data[0] = 0x5a;
	CHECK(hbm_cpu_access_end(access) == 0);
	row = 42;
	ROW_CHECK(hbm_buffer_export_sync_file(NULL, HBM_CPU_READ) == -EINVAL);
	ROW_CHECK(hbm_buffer_export_sync_file(buffer, HBM_CPU_READ) == -ENOTSUP);
	SAYS("memfd memory is not a dma-buf and carries no fences");
	ROW_CHECK(hbm_buffer_import_sync_file(NULL, -1, HBM_CPU_READ) == -EINVAL);
	ROW_CHECK(hbm_buffer_import_sync_file(buffer, -1, HBM_CPU_READ) == -ENOTSUP);
	row = 43;
	ROW_CHECK(hbm_buffer_wait_idle(NULL, HBM_CPU_READ, 0) == -EINVAL);
	ROW_CHECK(hbm_buffer_wait_idle(buffer, HBM_CPU_READ, -1) == 1); /* no fences: idle */

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(pipe(pipe_fds) == 0);
	row = 44;
	ROW_CHECK(hbm_buffer_send(sv[0], NULL) == -EINVAL);
	ROW_CHECK(hbm_buffer_send(sv[0], buffer) == -ENOTSUP);
	SAYS("CPU-only memory is not a dma-buf");
	ROW_CHECK(hbm_buffer_send(-1, buffer) == -ENOTSUP);
	row = 45;
	ROW_CHECK(hbm_buffer_receive(sv[1], NULL) == -EINVAL);
	ROW_CHECK(hbm_buffer_receive(-1, &received) == -EBADF);
	ROW_CHECK(hbm_buffer_receive(pipe_fds[0], &received) == -ENOTSOCK);
	SAYS("recvmsg on socket");
	ROW_CHECK(received == NULL);
	close(sv[0]);
	close(sv[1]);
	close(pipe_fds[0]);
	close(pipe_fds[1]);

	row = 46; /* a token no pool issued, e.g. a handle of another kind: found nowhere, touched never */
	ROW_CHECK(hbm_lease_get_buffer((struct hbm_lease *)buffer) == NULL);
	ROW_CHECK(hbm_lease_release((struct hbm_lease *)buffer) == -EALREADY);
	SAYS("is not held");
	ROW_CHECK(hbm_buffer_get_width(buffer) == 64);
	fd = hbm_buffer_export_plane_fd(buffer, 0);
	ROW_CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	hbm_buffer_unref(buffer);
}

static void count_calls(enum hbm_log_level level, const char *category, const char *message, void *user_data)
{
	(void)level;
	(void)category;
	(void)message;
	(*(int *)user_data)++;
}

/* Rows 47-50: the error state and the log. */
static void errors_and_log(void)
{
	struct hbm_context *ctx = memfd_context();
	struct hbm_description *description = NULL;
	struct hbm_buffer *buffer = NULL;
	struct hbm_rejection rejection;
	struct {
		struct hbm_rejection rejection;
		uint32_t tail;
	} newer;
	struct hbm_request request;
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	const char *sentence;

	request = xrgb_request(&xrgb);
	CHECK(hbm_description_create(ctx, &request, &description) == 0); /* a good request */
	CHECK(hbm_description_allocate(description, &buffer) == -ENOTSUP); /* one rejection */
	hbm_description_destroy(description); /* cleanup leaves the state */
	sentence = hbm_last_error();
	row = 47; /* reading the state never changes it */
	ROW_CHECK(hbm_last_rejection(0, NULL) == -EINVAL);
	memset(&newer, 0, sizeof(newer));
	newer.rejection.size = sizeof(newer);
	newer.tail = 0xabcd;
	ROW_CHECK(hbm_last_rejection(0, &newer.rejection) == 0);
	ROW_CHECK(newer.tail == 0); /* what this library does not know: the default */
	memset(&rejection, 0, sizeof(rejection));
	rejection.size = sizeof(rejection);
	ROW_CHECK(hbm_last_rejection((size_t)-1, &rejection) == -ERANGE);
	ROW_CHECK(hbm_last_error() == sentence && hbm_last_rejection_count() == 1);
	row = 48;
	ROW_CHECK(strcmp(hbm_reason_name((enum hbm_reason)999), "unknown") == 0);
	ROW_CHECK(strcmp(hbm_reason_name((enum hbm_reason) - 1), "unknown") == 0);
	row = 49;
	/* empty clauses are skipped: "" is no rule (nothing logged, the default) */
	ROW_CHECK(hbm_set_log_levels("") == 0);
	ROW_CHECK(hbm_set_log_levels("*:debug,,") == 0);
	ROW_CHECK(hbm_set_log_levels("kms:") == -EINVAL);
	SAYS("HBM_LOG clause 'kms:': unknown level ''");
	ROW_CHECK(hbm_set_log_levels(":debug") == -EINVAL);
	SAYS("has no category before ':'");
	ROW_CHECK(hbm_set_log_levels("off") == 0);
	row = 50; /* a NULL handler, even with user data: back to stderr, the handler never called */
	{
		struct hbm_context *logged;
		int calls = 0, saved_stderr, p[2], before;
		char text[256];
		ssize_t n;
		hbm_set_log_handler(count_calls, &calls);
		CHECK(hbm_set_log_levels("*:debug") == 0);
		logged = memfd_context();
		hbm_context_destroy(logged);
		ROW_CHECK(calls > 0);
		hbm_set_log_handler(NULL, &calls);
		before = calls;
		CHECK(pipe(p) == 0);
		saved_stderr = dup(2);
		dup2(p[1], 2);
		close(p[1]);
		logged = memfd_context();
		hbm_context_destroy(logged);
		fflush(stderr);
		dup2(saved_stderr, 2);
		close(saved_stderr);
		n = read(p[0], text, sizeof(text));
		close(p[0]);
		ROW_CHECK(calls == before && n > 0);
		CHECK(hbm_set_log_levels("off") == 0);
	}
	hbm_context_destroy(ctx);
}

/* Rows 51-55: what needs dma-buf memory (the lab). */
static void with_dma_buf_memory(struct hbm_context *ctx, const char *allocator)
{
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	struct hbm_request request;
	struct hbm_description *description = NULL;
	struct hbm_plan_info plan;
	struct hbm_pool *pool = NULL;
	struct hbm_lease *lease = NULL;
	struct hbm_buffer *buffer = NULL;

	request = xrgb_request(&xrgb);
	CHECK(hbm_description_create(ctx, &request, &description) == 0);
	if (!description)
		return;
	row = 51;
	ROW_CHECK(hbm_description_attach(description, NULL) == -EINVAL);
	ROW_CHECK(hbm_description_detach(description, NULL) == -EINVAL);
	ROW_CHECK(hbm_description_get_plan(description, NULL) == -EINVAL);
	memset(&plan, 0, sizeof(plan));
	plan.size = offsetof(struct hbm_plan_info, allocator); /* below the first version */
	ROW_CHECK(hbm_description_get_plan(description, &plan) == -EINVAL);
	ROW_CHECK(hbm_description_get_trace_line(description, (size_t)-1) == NULL);
	ROW_CHECK(hbm_description_allocate(description, NULL) == -EINVAL);
	row = 52;
	ROW_CHECK(hbm_pool_create(description, 0, &pool) == -EINVAL);
	ROW_CHECK(pool == NULL);
	ROW_CHECK(hbm_pool_create(description, 1, NULL) == -EINVAL);
	CHECK(hbm_pool_create(description, 1, &pool) == 0);
	ROW_CHECK(hbm_pool_acquire(pool, NULL) == -EINVAL);
	CHECK(hbm_pool_acquire(pool, &lease) == 0);
	row = 53; /* a lease outlives its pool, and released twice touches nothing */
	hbm_pool_destroy(pool);
	ROW_CHECK(hbm_buffer_get_width(hbm_lease_get_buffer(lease)) == 64);
	ROW_CHECK(hbm_lease_release(lease) == 0);
	ROW_CHECK(hbm_lease_release(lease) == -EALREADY);
	ROW_CHECK(hbm_lease_get_buffer(lease) == NULL);
	hbm_description_destroy(description);

	row = 54; /* a dma-buf sent to a socket that is not one */
	CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888, .allocator = allocator, .modifiers = &linear, .modifier_count = 1), &buffer) == 0);
	ROW_CHECK(hbm_buffer_send(-1, buffer) == -EBADF);
	row = 55; /* no sync_file: the kernel's EINVAL, the descriptor named */
	ROW_CHECK(hbm_buffer_import_sync_file(buffer, -1, HBM_CPU_READ) == -EINVAL);
	SAYS("DMA_BUF_IOCTL_IMPORT_SYNC_FILE of fd -1 into dma-heap:system buffer failed");
	{
		int p[2];
		CHECK(pipe(p) == 0);
		ROW_CHECK(hbm_buffer_import_sync_file(buffer, p[0], HBM_CPU_WRITE) == -EINVAL);
		close(p[0]);
		close(p[1]);
	}
	hbm_buffer_unref(buffer);
}

int main(void)
{
	const size_t fds_before = open_fds();
	struct hbm_context *ctx = NULL;
	const char *dma_buf_allocator = NULL;
	size_t i;

	contexts();
	participants();
	ctx = memfd_context();
	requests(ctx);
	hbm_context_destroy(ctx);
	buffers();
	errors_and_log();

	CHECK(hbm_context_create(&ctx) == 0);
	for (i = 0; i < hbm_context_allocator_count(ctx); i++)
		if (strncmp(hbm_context_allocator_name(ctx, i), "dma-heap:system", 15) == 0)
			dma_buf_allocator = hbm_context_allocator_name(ctx, i);
	if (dma_buf_allocator) {
		with_dma_buf_memory(ctx, dma_buf_allocator);
	} else if (getenv("HBM_LAB")) {
		fprintf(stderr, "c-misuse: no system dma-heap in the lab\n");
		failed++;
	} else {
		printf("c-misuse: no system dma-heap here, rows 51-55 not run (the lab runs them)\n");
	}
	hbm_context_destroy(ctx);

	CHECK(open_fds() == fds_before);
	printf("c-misuse: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
