/* SPDX-License-Identifier: MIT */
/* hbm's C ABI used from C (C11, -pedantic): allocation, plane queries, CPU access,
 * export and import, and errors as -errno plus a sentence. Device-only steps run where
 * a dma-buf allocator exists (the lab). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <hbm/hbm.h>

static int passed, failed;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (cond) {                                                                \
			passed++;                                                          \
		} else {                                                                   \
			failed++;                                                          \
			fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, \
				__LINE__, #cond, hbm_last_error());                        \
		}                                                                          \
	} while (0)

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

int main(void)
{
	struct hbm_context *ctx = NULL;
	struct hbm_buffer *buffer = NULL, *imported = NULL;
	uint32_t stride = 0;
	uint64_t offset = 1;
	const char *dmabuf_allocator = NULL;
	size_t i;
	int fd;

	CHECK(hbm_context_create(&ctx) == 0);
	CHECK(hbm_context_allocator_count(ctx) >= 1);
	CHECK(hbm_context_allocator_name(ctx, hbm_context_allocator_count(ctx)) == NULL);
	for (i = 0; i < hbm_context_allocator_count(ctx); i++)
		if (strncmp(hbm_context_allocator_name(ctx, i), "dma-heap:system", 15) == 0)
			dmabuf_allocator = hbm_context_allocator_name(ctx, i);

	/* CPU-only memory, present everywhere. */
	CHECK(hbm_buffer_allocate(ctx, 64, 64, DRM_FORMAT_XRGB8888, "memfd", NULL, 0, HBM_USAGE_CPU_WRITE, &buffer) == 0);
	CHECK(hbm_buffer_get_width(buffer) == 64 && hbm_buffer_get_height(buffer) == 64);
	CHECK(hbm_buffer_get_format(buffer) == DRM_FORMAT_XRGB8888);
	CHECK(hbm_buffer_get_modifier(buffer) == DRM_FORMAT_MOD_LINEAR);
	CHECK(hbm_buffer_get_plane_count(buffer) == 1);
	CHECK(hbm_buffer_get_plane(buffer, 0, &stride, &offset) == 0 && stride == 256 && offset == 0);
	CHECK(hbm_buffer_get_plane(buffer, 1, &stride, &offset) == -EINVAL);
	CHECK(!hbm_buffer_is_device_importable(buffer));
	fill_and_check(buffer);

	/* Errors: -errno and a sentence naming the fault. */
	CHECK(hbm_buffer_allocate(ctx, 0, 64, DRM_FORMAT_XRGB8888, "memfd", NULL, 0, 0, &imported) == -EINVAL);
	CHECK(strstr(hbm_last_error(), "width and height") != NULL);
	fd = hbm_buffer_export_plane_fd(buffer, 0);
	CHECK(fd >= 0);
	{
		struct hbm_plane_import plane = {fd, 256, 0};
		CHECK(hbm_buffer_import(64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, &plane, 1, &imported) == -EINVAL);
		CHECK(strstr(hbm_last_error(), "is not a dma-buf") != NULL);
	}
	close(fd);
	CHECK(hbm_buffer_ref(buffer) == buffer);
	hbm_buffer_unref(buffer);
	hbm_buffer_unref(buffer);

	if (dmabuf_allocator) {
		struct hbm_plane_import plane;
		CHECK(hbm_buffer_allocate(ctx, 64, 64, DRM_FORMAT_XRGB8888, dmabuf_allocator, NULL, 0,
					  HBM_USAGE_CPU_WRITE, &buffer) == 0);
		CHECK(hbm_buffer_is_device_importable(buffer));
		fill_and_check(buffer);
		plane.fd = hbm_buffer_export_plane_fd(buffer, 0);
		plane.stride = 256;
		plane.offset = 0;
		CHECK(plane.fd >= 0);
		CHECK(hbm_buffer_import(64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, &plane, 1, &imported) == 0);
		close(plane.fd);
		CHECK(hbm_buffer_wait_idle(imported, HBM_CPU_READ, 0) == 1);
		fd = hbm_buffer_export_sync_file(imported, HBM_CPU_READ);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		hbm_buffer_unref(imported);
		hbm_buffer_unref(buffer);
	} else {
		printf("c-api: no dma-heap here, device steps not run (the lab runs them)\n");
	}
	hbm_context_destroy(ctx);

	printf("c-api: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
