/* SPDX-License-Identifier: MIT */
/* hbm's C ABI used from C (C11, -pedantic): allocation, plane queries, CPU access,
 * export and import, errors as -errno plus a sentence, refusals as data, the size rule of
 * extensible structs, participants, descriptions, pools and leases, user data and the log
 * handler — and what bad input gets. Device-only steps run where a dma-buf allocator
 * exists (the lab). */
/* POSIX for O_CLOEXEC and the struct timespec linux/videodev2.h uses. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <drm_fourcc.h>
#include <hbm/hbm.h>

#include "check.h"

static void fill_and_check(struct hbm_buffer *buffer)
{
	struct hbm_cpu_access *access = NULL;
	size_t size = 0;
	unsigned char *data;
	CHECK(hbm_buffer_begin_cpu_access(buffer, HBM_CPU_WRITE, &access) == 0);
	data = hbm_cpu_access_plane_data(access, 0, &size);
	CHECK(data != NULL && size >= 64 * 256);
	if (data)
		memset(data, 0x5a, size);
	CHECK(hbm_cpu_access_end(access) == 0);

	CHECK(hbm_buffer_begin_cpu_access(buffer, HBM_CPU_READ, &access) == 0);
	data = hbm_cpu_access_plane_data(access, 0, &size);
	CHECK(data != NULL && data[size - 1] == 0x5a);
	CHECK(hbm_cpu_access_end(access) == 0);
}

#define CONTAINS(haystack, needle) CHECK(strstr((haystack), (needle)) != NULL)

/* The user-data destroy function counts its calls per data. */
static int destroyed[4];
static void count_destroy(struct hbm_buffer *buffer, void *data)
{
	(void)buffer;
	destroyed[*(int *)data]++;
}

static int log_calls;
static void count_log(enum hbm_log_level level, const char *category, const char *message, void *user_data)
{
	(void)level;
	(void)message;
	if (category && user_data == &log_calls)
		log_calls++;
}

/* The size rule of extensible structs, and a context that opens nothing. */
static void check_struct_sizes(void)
{
	struct hbm_context_options options;
	struct hbm_context *ctx = NULL;
	uint32_t formats[256];
	uint64_t modifiers[8];
	int n;

	CHECK(hbm_get_version() == HBM_API_VERSION);
	CHECK(HBM_API_VERSION == ((uint32_t)HBM_API_VERSION_MAJOR << 16 | HBM_API_VERSION_MINOR));

	/* (c-convention pins the size rule, NULL options and untouched out-pointers.) */
	memset(&options, 0, sizeof(options));
	CHECK(hbm_context_create_with_options(&options, &ctx) == -EINVAL);
	CONTAINS(hbm_last_error(), "smaller than its first version");
	options.size = sizeof(options);
	options.flags = 1u << 31;
	CHECK(hbm_context_create_with_options(&options, &ctx) == -EINVAL);
	CONTAINS(hbm_last_error(), "unknown flags");
	options.flags = 0;
	options.drm_fd_count = 1;
	CHECK(hbm_context_create_with_options(&options, &ctx) == -EINVAL);
	options.drm_fd_count = 0;
	CHECK(ctx == NULL);

	/* Nothing asked, nothing opened: memfd alone. */
	CHECK(hbm_context_create_with_options(&options, &ctx) == 0);
	CHECK(hbm_context_allocator_count(ctx) == 1);
	CHECK(strcmp(hbm_context_allocator_name(ctx, 0), "memfd") == 0);

	/* The allocator's formats and modifiers, by the two-call idiom. */
	n = hbm_context_allocator_get_formats(ctx, 0, NULL, 0);
	CHECK(n > 1 && n <= 256);
	CHECK(hbm_context_allocator_get_formats(ctx, 0, formats, 1) == n);
	CHECK(hbm_context_allocator_get_formats(ctx, 0, formats, 256) == n);
	CHECK(hbm_context_allocator_get_modifiers(ctx, 0, DRM_FORMAT_XRGB8888, modifiers, 8) == 1);
	CHECK(modifiers[0] == DRM_FORMAT_MOD_LINEAR);
	CHECK(hbm_context_allocator_get_modifiers(ctx, 0, 0x20202020, modifiers, 8) == 0);
	CHECK(hbm_context_allocator_get_formats(ctx, 1, formats, 256) == -ERANGE);
	CONTAINS(hbm_last_error(), "no allocator 1");
	CHECK(hbm_context_allocator_get_formats(NULL, 0, formats, 256) == -EINVAL);

	/* On memfd alone a good request is described (only a bad one is refused), and every
	 * allocation is refused with the one "no plan" errno: CPU-only memory, as data. */
	{
		const uint32_t xrgb = DRM_FORMAT_XRGB8888;
		struct hbm_request request = {0};
		struct hbm_description *description = NULL;
		struct hbm_buffer *buffer = NULL;
		struct hbm_pool *pool = NULL;
		struct hbm_rejection rejection;
		const char *sentence;
		request.size = sizeof(request);
		request.width = 64;
		request.height = 64;
		request.formats = &xrgb;
		request.format_count = 1;
		CHECK(hbm_description_create(ctx, &request, &description) == 0);
		CHECK(hbm_description_allocate(description, &buffer) == -ENOTSUP);
		CHECK(buffer == NULL);
		hbm_description_destroy(description);
		description = NULL;
		CHECK(hbm_last_reason() == HBM_REASON_NO_DMA_BUF_MEMORY);
		CHECK(strcmp(hbm_reason_name(hbm_last_reason()), "no-dma-buf-memory") == 0);
		CHECK(hbm_last_rejection_count() == 1);
		memset(&rejection, 0, sizeof(rejection));
		rejection.size = sizeof(rejection);
		CHECK(hbm_last_rejection(0, &rejection) == 0);
		CHECK(rejection.size == sizeof(rejection));
		CHECK(rejection.reason == HBM_REASON_NO_DMA_BUF_MEMORY);
		CHECK(strcmp(rejection.allocator, "memfd") == 0);
		CHECK(rejection.format == 0);
		CHECK(rejection.set_by_count == 0);
		CONTAINS(rejection.why, "CPU-only");
		/* Reading the state never changes it. */
		sentence = hbm_last_error();
		CHECK(hbm_last_rejection(1, &rejection) == -ERANGE);
		rejection.size = 4;
		CHECK(hbm_last_rejection(0, &rejection) == -EINVAL);
		CHECK(hbm_last_error() == sentence && hbm_last_rejection_count() == 1);
		/* A success leaves it too (as errno); the next failure replaces all of it. */
		CHECK(hbm_context_allocator_get_formats(ctx, 0, NULL, 0) == n);
		CHECK(hbm_last_reason() == HBM_REASON_NO_DMA_BUF_MEMORY);
		struct hbm_pool_options options = {sizeof options, 2, &request, NULL, 0};
		CHECK(hbm_pool_create_with_options(ctx, &options, &pool) == -ENOTSUP);
		CHECK(hbm_last_reason() == HBM_REASON_NO_DMA_BUF_MEMORY && pool == NULL);
		request.width = 0;
		CHECK(hbm_description_create(ctx, &request, &description) == -EINVAL);
		CHECK(hbm_last_reason() == HBM_REASON_INVALID_REQUEST && hbm_last_rejection_count() == 1);
		rejection.size = sizeof(rejection);
		CHECK(hbm_last_rejection(0, &rejection) == 0 && rejection.value == 64 && rejection.limit == 65536);
		request.size = 8;
		CHECK(hbm_description_create(ctx, &request, &description) == -EINVAL);
		CONTAINS(hbm_last_error(), "struct hbm_request has size 8");
		request.size = sizeof(request);
		request.format_count = 2;
		request.formats = NULL;
		CHECK(hbm_description_create(ctx, &request, &description) == -EINVAL);
	}
	hbm_context_destroy(ctx);
}

/* Descriptors that are no device, and devices that are not there. */
static void check_bad_descriptors(void)
{
	struct hbm_context *ctx = NULL;
	struct hbm_participant *participant = NULL;
	struct hbm_kms *kms = NULL;
	int null_fd = open("/dev/null", O_RDWR);
	int pipe_fds[2];
	CHECK(null_fd >= 0);
	CHECK(pipe(pipe_fds) == 0);

	CHECK(hbm_context_create_for_drm_fd(null_fd, 0, &ctx) == -ENODEV);
	CONTAINS(hbm_last_error(), "is not a DRM device");
	CHECK(hbm_context_create_for_drm_fd(pipe_fds[0], 0, &ctx) == -ENODEV);
	CHECK(hbm_context_create_for_drm_fd(-1, 0, &ctx) == -EBADF);
	CHECK(ctx == NULL);

	CHECK(hbm_participant_create_for_kms_plane(null_fd, 31, NULL, &participant) == -ENODEV);
	CONTAINS(hbm_last_error(), "/dev/null");
	CONTAINS(hbm_last_error(), "is not a DRM device");
	CHECK(hbm_participant_create_for_kms_plane(pipe_fds[1], 31, NULL, &participant) == -ENODEV);
	CHECK(hbm_participant_create_for_kms_plane(-1, 31, NULL, &participant) == -EBADF);
	CHECK(hbm_participant_create_for_kms_plane_type(null_fd, HBM_PLANE_PRIMARY, 0, NULL, &participant) == -ENODEV);
	CHECK(hbm_participant_create_for_kms_plane_type(null_fd, (enum hbm_plane_type)7, 0, NULL, &participant) == -EINVAL);
	CHECK(hbm_participant_create_for_v4l2(null_fd, HBM_V4L2_CAPTURE, 64, 64, &participant) == -ENODEV);
	CONTAINS(hbm_last_error(), "is not a V4L2 device");
	CHECK(hbm_participant_create_for_v4l2(-1, HBM_V4L2_CAPTURE, 64, 64, &participant) == -EBADF);
	CHECK(participant == NULL);

	CHECK(hbm_kms_create_for_drm_fd(null_fd, &kms) == -ENODEV);
	CHECK(hbm_kms_create_for_drm_fd(null_fd, NULL) == -EINVAL);
	CHECK(kms == NULL);

	close(pipe_fds[0]);
	close(pipe_fds[1]);
	close(null_fd);
}

/* Participants declared in configuration or by the caller, and constraints added by hand. */
static void check_declared_participants(void)
{
	const uint32_t formats[] = {DRM_FORMAT_XRGB8888, DRM_FORMAT_XRGB8888};
	const uint64_t modifiers[] = {DRM_FORMAT_MOD_LINEAR, DRM_FORMAT_MOD_INVALID};
	const char *allowed[] = {"dma-heap:reserved", "dma-heap:system"};
	struct hbm_context_options options;
	struct hbm_context *ctx = NULL;
	struct hbm_participant *camera = NULL, *panel = NULL;
	struct hbm_participant_info info;
	struct hbm_constraints constraints;
	struct hbm_rejection rejection;

	memset(&options, 0, sizeof(options));
	options.size = sizeof(options);
	options.config_text = "[participant.camera]\nformats = [\"NV12\"]\naddress_limit = \"4G\"\n";
	CHECK(hbm_context_create_with_options(&options, &ctx) == 0);
	CHECK(hbm_participant_create_declared(ctx, "camera", &camera) == 0);
	CHECK(strcmp(hbm_participant_get_name(camera), "camera (declared)") == 0);
	CHECK(hbm_participant_create_declared(ctx, "scanner", &panel) == -ENOENT);
	CONTAINS(hbm_last_error(), "declared: camera");
	CHECK(hbm_participant_create_declared(NULL, "camera", &panel) == -EINVAL);
	memset(&constraints, 0, sizeof(constraints));
	constraints.size = sizeof(constraints);
	CHECK(hbm_participant_get_constraints(camera, &constraints) == 0);
	CHECK(constraints.address_limit == 1ull << 32);
	hbm_participant_destroy(camera);
	hbm_context_destroy(ctx);

	options.config_text = "[participant.camera]\nformats = [\"NV13\"]\n";
	CHECK(hbm_context_create_with_options(&options, &ctx) == -EINVAL);
	CONTAINS(hbm_last_error(), "config_text:2");

	CHECK(hbm_participant_create_for_formats("panel", formats, modifiers, 2, &panel) == 0);
	CHECK(hbm_participant_create_for_formats("panel", formats, NULL, 2, &camera) == -EINVAL);
	CHECK(hbm_participant_create_for_formats("panel", formats, modifiers, 0, &camera) == -EINVAL);
	CHECK(hbm_participant_create_for_formats(NULL, formats, modifiers, 2, &camera) == -EINVAL);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	CHECK(hbm_participant_get_info(panel, &info) == 0);
	CHECK(info.kind == HBM_PARTICIPANT_DECLARED && strcmp(info.name, "panel (declared)") == 0);
	CHECK(info.device == 0 && strcmp(info.driver, "") == 0);

	/* A panel without IOMMU: contiguous, 256-byte strides, two heaps. */
	memset(&constraints, 0, sizeof(constraints));
	constraints.size = sizeof(constraints);
	constraints.flags = HBM_CONSTRAINT_CONTIGUOUS;
	constraints.stride_alignment = 256;
	constraints.max_width = 4096;
	constraints.allowed_allocators = allowed;
	constraints.allowed_allocator_count = 2;
	CHECK(hbm_participant_add_constraints(panel, &constraints) == 0);
	/* Refused, changing nothing: not a power of two; cached and uncached. */
	constraints.stride_alignment = 48;
	CHECK(hbm_participant_add_constraints(panel, &constraints) == -EINVAL);
	CHECK(hbm_last_reason() == HBM_REASON_INVALID_CONSTRAINT && hbm_last_rejection_count() == 1);
	CHECK(last_rejection(0, &rejection) == 0 && rejection.plane == 0); /* plane 0: the stride's */
	CHECK(rejection.value == 48 && rejection.limit == 1u << 24);
	CHECK(rejection.set_by_count == 1 && strcmp(rejection.set_by[0], "panel (declared)") == 0);
	constraints.stride_alignment = 0;
	constraints.flags = HBM_CONSTRAINT_CACHED | HBM_CONSTRAINT_UNCACHED;
	CHECK(hbm_participant_add_constraints(panel, &constraints) == -EINVAL);
	constraints.size = 0;
	CHECK(hbm_participant_add_constraints(panel, &constraints) == -EINVAL);
	/* NULL constraints: none added (hbm.h, OPTIONS). */
	CHECK(hbm_participant_add_constraints(panel, NULL) == 0);
	/* Only tightens: a looser width limit and a second, narrower allocator list. */
	memset(&constraints, 0, sizeof(constraints));
	constraints.size = sizeof(constraints);
	constraints.max_width = 8192;
	constraints.allowed_allocators = allowed;
	constraints.allowed_allocator_count = 1;
	CHECK(hbm_participant_add_constraints(panel, &constraints) == 0);

	memset(&constraints, 0, sizeof(constraints));
	constraints.size = sizeof(constraints);
	CHECK(hbm_participant_get_constraints(panel, &constraints) == 0);
	CHECK(constraints.flags == HBM_CONSTRAINT_CONTIGUOUS);
	CHECK(constraints.stride_alignment == 256 && constraints.max_width == 4096);
	CHECK(constraints.allowed_allocator_count == 1);
	CHECK(strcmp(constraints.allowed_allocators[0], "dma-heap:reserved") == 0);
	hbm_participant_destroy(panel);
}

/* User data goes with the buffer; the log goes where the program says. */
static void check_user_data_and_log(void)
{
	struct hbm_context *ctx = NULL;
	struct hbm_buffer *buffer = NULL;
	static int zero = 0;

	hbm_set_log_handler(count_log, &log_calls);
	CHECK(hbm_set_log_levels("context:debug") == 0);
	CHECK(hbm_set_log_levels("context:loud") == -EINVAL);
	CONTAINS(hbm_last_error(), "unknown level 'loud'");
	CHECK(hbm_set_log_levels(NULL) == -EINVAL);
	CHECK(hbm_context_create(&ctx) == 0);
	CHECK(log_calls > 0);
	CHECK(hbm_set_log_levels("off") == 0);
	hbm_set_log_handler(NULL, NULL);

	CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 16, .height = 16, .format = DRM_FORMAT_XRGB8888, .allocator = "memfd"), &buffer) == 0);
	CHECK(hbm_buffer_get_user_data(buffer) == NULL);
	{
		/* A participant is checked against the buffer as it is, and nothing is recorded. */
		uint32_t nv12 = DRM_FORMAT_NV12, xrgb = DRM_FORMAT_XRGB8888;
		uint64_t linear = DRM_FORMAT_MOD_LINEAR;
		struct hbm_participant *decoder = NULL, *cpu = NULL;
		struct hbm_rejection rejection;
		CHECK(hbm_participant_create_for_formats("decoder", &nv12, &linear, 1, &decoder) == 0);
		CHECK(hbm_participant_create_for_formats("gpu", &xrgb, &linear, 1, &cpu) == 0);
		/* memfd memory: no device can import it, which the check names first. */
		CHECK(hbm_buffer_check(buffer, decoder) == -EINVAL);
		CHECK(hbm_last_reason() == HBM_REASON_CPU_ONLY);
		CHECK(hbm_last_rejection_count() == 1);
		/* The candidate is the buffer, not an allocator. */
		CHECK(last_rejection(0, &rejection) == 0 && rejection.reason == HBM_REASON_CPU_ONLY);
		CHECK(rejection.format == DRM_FORMAT_XRGB8888 && strcmp(rejection.allocator, "") == 0);
		/* One that takes the format is refused for the memory too. */
		CHECK(hbm_buffer_check(buffer, cpu) == -EINVAL);
		CHECK(hbm_last_reason() == HBM_REASON_CPU_ONLY && hbm_last_rejection_count() == 1);
		CHECK(last_rejection(0, &rejection) == 0 && rejection.format == DRM_FORMAT_XRGB8888);
		CHECK(hbm_buffer_check(NULL, cpu) == -EINVAL);
		CHECK(hbm_buffer_check(buffer, NULL) == -EINVAL);
		hbm_participant_destroy(decoder);
		hbm_participant_destroy(cpu);
	}
	hbm_buffer_set_user_data(buffer, &zero, count_destroy);
	CHECK(hbm_buffer_get_user_data(buffer) == &zero);
	hbm_buffer_ref(buffer);
	hbm_buffer_unref(buffer);
	CHECK(destroyed[0] == 0);
	hbm_buffer_unref(buffer);
	CHECK(destroyed[0] == 1);
	destroyed[0] = 0;
	hbm_context_destroy(ctx);

	/* NULL handles: destroy functions accept them, getters return nothing. */
	hbm_buffer_set_user_data(NULL, &zero, count_destroy);
	CHECK(hbm_buffer_get_user_data(NULL) == NULL);
	hbm_participant_destroy(NULL);
	hbm_description_destroy(NULL);
	hbm_pool_destroy(NULL);
	hbm_kms_destroy(NULL);
	hbm_context_destroy(NULL);
	CHECK(hbm_participant_get_name(NULL) == NULL);
	CHECK(hbm_description_get_trace_line(NULL, 0) == NULL);
	CHECK(hbm_lease_get_buffer(NULL) == NULL);
	CHECK(hbm_lease_release(NULL) == -EINVAL);
	CHECK(hbm_description_attach(NULL, NULL) == -EINVAL);
	CHECK(hbm_description_detach(NULL, NULL) == -EINVAL);
	CHECK(hbm_description_allocate(NULL, &buffer) == -EINVAL);
	CHECK(hbm_pool_acquire(NULL, NULL) == -EINVAL);
	CHECK(hbm_kms_add_framebuffer(NULL, NULL, NULL) == -EINVAL);
	CHECK(hbm_kms_remove_framebuffer(NULL, 1) == -EINVAL);
}

/* vicodec's stateful decoder (its OUTPUT queue takes FWHT), or -1. */
static int open_fwht_decoder(void)
{
	for (int i = 0; i < 32; ++i) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/video%d", i);
		int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct v4l2_fmtdesc desc;
		memset(&desc, 0, sizeof(desc));
		desc.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
		if (ioctl(fd, VIDIOC_ENUM_FMT, &desc) == 0 && desc.pixelformat == V4L2_PIX_FMT_FWHT)
			return fd;
		close(fd);
	}
	return -1;
}

/* A decoder that fixes its layout (the lab's vicodec): a buffer hbm laid out alone is
 * refused by the check and by the queue, naming both; one negotiated with the queue's
 * participant is taken as it is. */
static void check_v4l2_layouts(struct hbm_context *ctx, const char *allocator)
{
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	struct hbm_participant *queue = NULL;
	struct hbm_buffer *alone = NULL, *negotiated = NULL;
	struct hbm_description *description = NULL;
	struct hbm_request request = {0};
	int fd = open_fwht_decoder();
	if (fd < 0) {
		printf("c-api: no vicodec decoder here, V4L2 steps not run (the lab runs them)\n");
		CHECK(getenv("HBM_LAB") == NULL || strcmp(getenv("HBM_LAB"), "1") != 0);
		return;
	}
	CHECK(hbm_participant_create_for_v4l2(fd, HBM_V4L2_CAPTURE, 680, 480, &queue) == 0);
	CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 680, .height = 480, .format = xrgb, .allocator = allocator, .usage = HBM_USAGE_CPU_WRITE), &alone) == 0);
	if (queue && alone) {
		/* vicodec writes rows 680 * 4 bytes apart; hbm alone aligned them further. */
		struct hbm_rejection rejection;
		uint32_t stride = 0;
		CHECK(hbm_buffer_get_plane(alone, 0, &stride, NULL) == 0 && stride > 680 * 4);
		CHECK(hbm_buffer_check(alone, queue) == -EINVAL);
		CHECK(hbm_last_reason() == HBM_REASON_FIXED_STRIDE && hbm_last_rejection_count() == 1);
		CHECK(last_rejection(0, &rejection) == 0 && rejection.plane == 0);
		CHECK(rejection.value == stride && rejection.limit == 680 * 4);
		CHECK(rejection.set_by_count == 1 && strcmp(rejection.set_by[0], hbm_participant_get_name(queue)) == 0);
		/* The queue, given the buffer's layout, refuses it for the same difference. */
		CHECK(hbm_v4l2_set_format(fd, HBM_V4L2_CAPTURE, alone) == -EINVAL);
		CHECK(hbm_last_reason() == HBM_REASON_FIXED_STRIDE && hbm_last_rejection_count() == 1);
		CHECK(last_rejection(0, &rejection) == 0 && rejection.plane == 0);
		CHECK(rejection.value == stride && rejection.limit == 680 * 4);
		CHECK(rejection.set_by_count == 1 && strcmp(rejection.set_by[0], hbm_participant_get_name(queue)) == 0);
	}
	request.size = sizeof(request);
	request.width = 680;
	request.height = 480;
	request.formats = &xrgb;
	request.format_count = 1;
	CHECK(hbm_description_create(ctx, &request, &description) == 0);
	if (description && queue) {
		CHECK(hbm_description_attach(description, queue) == 0);
		CHECK(hbm_description_allocate(description, &negotiated) == 0);
	}
	if (negotiated) {
		CHECK(hbm_buffer_check(negotiated, queue) == 0);
		CHECK(hbm_v4l2_set_format(fd, HBM_V4L2_CAPTURE, negotiated) == 0);
	}
	CHECK(hbm_v4l2_set_format(fd, HBM_V4L2_CAPTURE, NULL) == -EINVAL);
	CHECK(hbm_v4l2_set_format(-1, HBM_V4L2_CAPTURE, negotiated ? negotiated : alone) == -EBADF);
	if (negotiated)
		hbm_buffer_unref(negotiated);
	if (description)
		hbm_description_destroy(description);
	if (alone)
		hbm_buffer_unref(alone);
	if (queue)
		hbm_participant_destroy(queue);
	close(fd);
}

/* Descriptions, plans, refusals, pools and leases on dma-buf memory (the lab). */
static void check_descriptions_and_pools(struct hbm_context *ctx)
{
	const uint32_t xrgb = DRM_FORMAT_XRGB8888, nv12 = DRM_FORMAT_NV12;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	struct hbm_request request = {0};
	struct hbm_description *description = NULL;
	struct hbm_participant *renderer = NULL, *decoder = NULL, *never = NULL;
	struct hbm_plan_info plan;
	struct hbm_buffer *buffer = NULL, *again = NULL;
	struct hbm_rejection rejection;
	struct hbm_pool *pool = NULL;
	struct hbm_lease *first = NULL, *second = NULL, *third = NULL;
	static int data[2] = {0, 1};

	request.size = sizeof(request);
	request.width = 64;
	request.height = 64;
	request.formats = &xrgb;
	request.format_count = 1;
	CHECK(hbm_description_create(ctx, &request, &description) == 0);
	CHECK(hbm_participant_create_for_formats("renderer", &xrgb, &linear, 1, &renderer) == 0);
	CHECK(hbm_participant_create_for_formats("decoder", &nv12, &linear, 1, &decoder) == 0);
	CHECK(hbm_participant_create_for_formats("never", &xrgb, &linear, 1, &never) == 0);
	CHECK(hbm_description_attach(description, renderer) == 0);

	memset(&plan, 0, sizeof(plan));
	plan.size = sizeof(plan);
	CHECK(hbm_description_get_plan(description, &plan) == 0);
	CHECK(plan.width == 64 && plan.format == DRM_FORMAT_XRGB8888 && plan.modifier == DRM_FORMAT_MOD_LINEAR);
	CHECK(plan.allocator != NULL && plan.allocator[0] != '\0');
	CHECK(plan.stride_alignment >= 64 && plan.trace_count > 0);
	CHECK(hbm_description_get_trace_line(description, 0) != NULL);
	CHECK(hbm_description_get_trace_line(description, plan.trace_count) == NULL);
	plan.size = offsetof(struct hbm_plan_info, allocator);
	CHECK(hbm_description_get_plan(description, &plan) == -EINVAL);

	/* Disjoint formats: refused as data, and nothing changed. */
	CHECK(hbm_description_attach(description, decoder) == -ENOTSUP);
	CHECK(hbm_last_reason() == HBM_REASON_FORMAT_NOT_TAKEN);
	CHECK(hbm_last_rejection_count() == 1);
	memset(&rejection, 0, sizeof(rejection));
	rejection.size = sizeof(rejection);
	CHECK(hbm_last_rejection(0, &rejection) == 0);
	CHECK(rejection.reason == HBM_REASON_FORMAT_NOT_TAKEN);
	CHECK(rejection.format == DRM_FORMAT_XRGB8888 && rejection.set_by_count == 1);
	CHECK(strcmp(rejection.set_by[0], "decoder (declared)") == 0);
	/* A participant never attached cannot be detached. */
	CHECK(hbm_description_detach(description, never) == -ENOENT);
	CHECK(hbm_last_reason() == HBM_REASON_NOT_ATTACHED);

	CHECK(hbm_description_allocate(description, &buffer) == 0);
	CHECK(hbm_description_allocate(description, &again) == 0);
	CHECK(buffer == again);
	hbm_buffer_unref(again);
	CHECK(hbm_description_detach(description, renderer) == -EBUSY);
	CHECK(hbm_last_reason() == HBM_REASON_STORAGE_EXISTS);

	/* A pool of two from the plan: leases, user data from lease to lease, release twice. */
	CHECK(hbm_pool_create(description, 2, &pool) == 0);
	hbm_description_destroy(description);
	CHECK(hbm_buffer_get_width(buffer) == 64); /* outlives its description */
	hbm_buffer_unref(buffer);
	CHECK(hbm_pool_acquire(pool, &first) == 0);
	CHECK(hbm_pool_acquire(pool, &second) == 0);
	CHECK(hbm_pool_acquire(pool, &third) == -EBUSY);
	CONTAINS(hbm_last_error(), "2 leased");
	buffer = hbm_lease_get_buffer(first);
	CHECK(buffer != NULL && buffer != hbm_lease_get_buffer(second));
	hbm_buffer_set_user_data(buffer, &data[0], count_destroy);
	hbm_buffer_set_user_data(hbm_lease_get_buffer(second), &data[1], count_destroy);
	CHECK(hbm_lease_release(first) == 0);
	CHECK(hbm_lease_release(first) == -EALREADY);
	CONTAINS(hbm_last_error(), "released already");
	CHECK(hbm_lease_get_buffer(first) == NULL);
	CHECK(hbm_pool_acquire(pool, &third) == 0);
	CHECK(hbm_lease_get_buffer(third) == buffer);
	CHECK(hbm_buffer_get_user_data(hbm_lease_get_buffer(third)) == &data[0]);
	CHECK(destroyed[0] == 0 && destroyed[1] == 0);

	/* A buffer referenced past its lease is not handed out again. */
	hbm_buffer_ref(buffer);
	CHECK(hbm_lease_release(third) == 0);
	CHECK(hbm_pool_acquire(pool, &first) == -EBUSY);
	CONTAINS(hbm_last_error(), "1 still referenced");
	hbm_buffer_unref(buffer);
	CHECK(hbm_pool_acquire(pool, &first) == 0);

	/* The pool goes with both leases out: they stay valid until released. */
	hbm_pool_destroy(pool);
	CHECK(hbm_buffer_get_width(hbm_lease_get_buffer(first)) == 64);
	CHECK(hbm_buffer_get_user_data(hbm_lease_get_buffer(second)) == &data[1]);
	CHECK(destroyed[0] == 0 && destroyed[1] == 0);
	CHECK(hbm_lease_release(first) == 0);
	CHECK(destroyed[0] == 1);
	CHECK(hbm_lease_release(second) == 0);
	CHECK(destroyed[1] == 1);
	CHECK(hbm_lease_release(second) == -EALREADY);

	/* From a request and participants; idle buffers' user data goes with the pool. */
	{
		struct hbm_participant *both[2];
		both[0] = renderer;
		both[1] = never;
		struct hbm_pool_options options = {sizeof options, 1, &request, both, 2};
		CHECK(hbm_pool_create_with_options(ctx, &options, &pool) == 0);
		CHECK(hbm_pool_acquire(pool, &first) == 0);
		hbm_buffer_set_user_data(hbm_lease_get_buffer(first), &data[0], count_destroy);
		CHECK(hbm_lease_release(first) == 0);
		CHECK(destroyed[0] == 1);
		hbm_pool_destroy(pool);
		CHECK(destroyed[0] == 2);
		both[1] = decoder;
		CHECK(hbm_pool_create_with_options(ctx, &options, &pool) == -ENOTSUP);
		CHECK(hbm_last_reason() == HBM_REASON_FORMAT_NOT_TAKEN);
	}
	hbm_participant_destroy(renderer);
	hbm_participant_destroy(decoder);
	hbm_participant_destroy(never);
}

/* HBM_ALLOCATOR is read when a context is made (hbm.h, hbm_allocate_options::allocator): a
 * NULL allocator means the variable as it was then, not as it is at allocation. */
static void check_allocator_variable_read_at_creation(void)
{
	struct hbm_context *before = NULL, *after = NULL;
	struct hbm_buffer *buffer = NULL;

	CHECK(unsetenv("HBM_ALLOCATOR") == 0);
	CHECK(hbm_context_create_with_options(NULL, &before) == 0); /* memfd alone */
	CHECK(setenv("HBM_ALLOCATOR", "memfd", 1) == 0);
	CHECK(hbm_context_create_with_options(NULL, &after) == 0);

	/* The later context takes the variable's allocator, CPU-only or not. */
	CHECK(hbm_buffer_create(after, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888), &buffer) == 0);
	CHECK(!hbm_buffer_is_device_importable(buffer));
	hbm_buffer_unref(buffer);
	buffer = NULL;
	/* The earlier one was made without it: memfd is CPU-only memory, not taken unasked. */
	CHECK(hbm_buffer_create(before, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888), &buffer) == -ENOTSUP);
	CONTAINS(hbm_last_error(), "CPU-only memory, not allowed");
	CHECK(buffer == NULL);
	/* Gone from the environment, the variable still holds for the context made with it. */
	CHECK(unsetenv("HBM_ALLOCATOR") == 0);
	CHECK(hbm_buffer_create(after, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888), &buffer) == 0);
	hbm_buffer_unref(buffer);

	hbm_context_destroy(after);
	hbm_context_destroy(before);
}

int main(void)
{
	struct hbm_context *ctx = NULL;
	struct hbm_buffer *buffer = NULL, *imported = NULL;
	uint32_t stride = 0;
	uint64_t offset = 1;
	const char *dmabuf_allocator = NULL;
	size_t i;
	int fd;

	check_struct_sizes();
	check_bad_descriptors();
	check_declared_participants();
	check_user_data_and_log();
	check_allocator_variable_read_at_creation();

	CHECK(hbm_context_create(&ctx) == 0);
	CHECK(hbm_context_allocator_count(ctx) >= 1);
	CHECK(hbm_context_allocator_name(ctx, hbm_context_allocator_count(ctx)) == NULL);
	for (i = 0; i < hbm_context_allocator_count(ctx); i++)
		if (strncmp(hbm_context_allocator_name(ctx, i), "dma-heap:system", 15) == 0)
			dmabuf_allocator = hbm_context_allocator_name(ctx, i);

	/* CPU-only memory, present everywhere. */
	CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888, .allocator = "memfd", .usage = HBM_USAGE_CPU_WRITE), &buffer) == 0);
	CHECK(hbm_buffer_get_width(buffer) == 64 && hbm_buffer_get_height(buffer) == 64);
	CHECK(hbm_buffer_get_format(buffer) == DRM_FORMAT_XRGB8888);
	CHECK(hbm_buffer_get_modifier(buffer) == DRM_FORMAT_MOD_LINEAR);
	CHECK(hbm_buffer_get_plane_count(buffer) == 1);
	CHECK(hbm_buffer_get_plane(buffer, 0, &stride, &offset) == 0 && stride == 256 && offset == 0);
	CHECK(hbm_buffer_get_plane(buffer, 1, &stride, &offset) == -ERANGE);
	/* A NULL out-pointer of a getter: that value is not wanted. */
	stride = 0;
	offset = 1;
	CHECK(hbm_buffer_get_plane(buffer, 0, NULL, &offset) == 0 && offset == 0);
	CHECK(hbm_buffer_get_plane(buffer, 0, &stride, NULL) == 0 && stride == 256);
	CHECK(hbm_buffer_get_plane(buffer, 0, NULL, NULL) == 0);
	CHECK(!hbm_buffer_is_device_importable(buffer));
	{
		/* Only the three modes exist: any other value is refused, naming it. */
		struct hbm_cpu_access *access = NULL;
		CHECK(hbm_buffer_begin_cpu_access(buffer, (enum hbm_cpu_access_mode)77, &access) == -EINVAL);
		CONTAINS(hbm_last_error(), "mode 77");
		CHECK(access == NULL);
		CHECK(hbm_buffer_begin_cpu_access(buffer, (enum hbm_cpu_access_mode)0, &access) == -EINVAL);
		CHECK(hbm_buffer_wait_idle(buffer, (enum hbm_cpu_access_mode)4, 0) == -EINVAL);
		CONTAINS(hbm_last_error(), "mode 4");
		CHECK(hbm_buffer_export_sync_file(buffer, (enum hbm_cpu_access_mode)77) == -EINVAL);
		CHECK(hbm_buffer_import_sync_file(buffer, -1, (enum hbm_cpu_access_mode)77) == -EINVAL);
		CONTAINS(hbm_last_error(), "hbm_buffer_import_sync_file: access mode 77");
	}
	fill_and_check(buffer);

	/* Errors: -errno and a sentence naming the fault. */
	CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 0, .height = 64, .format = DRM_FORMAT_XRGB8888, .allocator = "memfd"), &imported) == -EINVAL);
	CHECK(hbm_last_reason() == HBM_REASON_INVALID_REQUEST && hbm_last_rejection_count() == 1);
	{
		/* value: the size asked, width << 32 | height; limit: the largest width or height */
		struct hbm_rejection rejection;
		CHECK(last_rejection(0, &rejection) == 0 && rejection.value == ((uint64_t)0 << 32 | 64));
		CHECK(rejection.limit == 65536 && rejection.format == 0 && rejection.set_by_count == 0);
	}
	fd = hbm_buffer_export_plane_fd(buffer, 0);
	CHECK(fd >= 0);
	{
		struct hbm_plane_import plane = {.size = sizeof(plane), .fd = fd, .stride = 256};
		CHECK(hbm_buffer_create_from_fds(IMPORT_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888, .modifier = DRM_FORMAT_MOD_LINEAR, .planes = &plane, .plane_count = 1), &imported) == -EINVAL);
		CHECK(strstr(hbm_last_error(), "is not a dma-buf") != NULL);
	}
	close(fd);
	CHECK(hbm_buffer_ref(buffer) == buffer);
	hbm_buffer_unref(buffer);
	hbm_buffer_unref(buffer);

	if (dmabuf_allocator) {
		struct hbm_plane_import plane;
		CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888, .allocator = dmabuf_allocator, .usage = HBM_USAGE_CPU_WRITE), &buffer) == 0);
		CHECK(hbm_buffer_is_device_importable(buffer));
		fill_and_check(buffer);
		plane.size = sizeof(plane);
		plane.fd = hbm_buffer_export_plane_fd(buffer, 0);
		plane.stride = 256;
		plane.offset = 0;
		CHECK(plane.fd >= 0);
		CHECK(hbm_buffer_create_from_fds(IMPORT_OPTIONS(.width = 64, .height = 64, .format = DRM_FORMAT_XRGB8888, .modifier = DRM_FORMAT_MOD_LINEAR, .planes = &plane, .plane_count = 1), &imported) == 0);
		close(plane.fd);
		CHECK(hbm_buffer_wait_idle(imported, HBM_CPU_READ, 0) == 1);
		fd = hbm_buffer_export_sync_file(imported, HBM_CPU_READ);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		hbm_buffer_unref(imported);
		hbm_buffer_unref(buffer);
		check_descriptions_and_pools(ctx);
		check_v4l2_layouts(ctx, dmabuf_allocator);
	} else {
		printf("c-api: no dma-heap here, device steps not run (the lab runs them)\n");
	}
	hbm_context_destroy(ctx);

	printf("c-api: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
