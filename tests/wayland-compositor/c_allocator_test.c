/* SPDX-License-Identifier: MIT */
/* hbm_wl_allocator_* (hbm-wayland-client.h) from C, against AllocatorServer (allocator_rig.h),
 * with hbm.h's convention pinned: NULL options, the size rule from an older program, *out
 * and arrays untouched on failure, refusals with their reason. On the host the compositor
 * has no dma-buf memory, so its answer is a refusal; in the lab (the system heap) the
 * buffers arrive, are counted by the compositor and given back when unreferenced. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-client.h>

#include <hbm/hbm-wayland-client.h>

#include "../abi/check.h"
#include "allocator_rig.h"

#define UNTOUCHED ((void *)0x5eed)

int main(void)
{
	const int with_memory = access("/dev/dma_heap/system", R_OK) == 0;
	if (!with_memory && getenv("HBM_LAB")) {
		fprintf(stderr, "c-allocator: the lab guest has no /dev/dma_heap/system\n");
		return 1;
	}
	struct wl_display *display = allocator_rig_connect(with_memory);
	CHECK(display != NULL);
	if (!display)
		return 1;

	struct hbm_wl_allocator *allocator = UNTOUCHED;
	CHECK(hbm_wl_allocator_create(NULL, &allocator) == -EINVAL && allocator == UNTOUCHED);
	CHECK(hbm_wl_allocator_create(display, &allocator) == 0 && allocator != UNTOUCHED);

	uint32_t formats[] = {DRM_FORMAT_XRGB8888};
	struct hbm_request request = {.size = sizeof(request), .width = 64, .height = 64,
				      .usage = HBM_USAGE_CPU_WRITE, .formats = formats, .format_count = 1};
	struct hbm_buffer *buffers[2] = {UNTOUCHED, UNTOUCHED};
	struct hbm_wl_allocation_info info = {.size = sizeof(info), .format = 0x5eed};

	/* What is refused before anything is sent. */
	CHECK(hbm_wl_allocator_allocate(allocator, NULL, &info, buffers, 2) == -EINVAL); /* no request */
	struct hbm_wl_allocate_options two = {.size = sizeof(two), .request = &request, .count = 2};
	CHECK(hbm_wl_allocator_allocate(allocator, &two, &info, buffers, 1) == -EINVAL); /* no room */
	CHECK(strstr(hbm_last_error(), "room for 1 buffers") != NULL);
	struct hbm_wl_allocate_options odd = {.size = sizeof(odd), .request = &request, .flags = 1u << 7};
	CHECK(hbm_wl_allocator_allocate(allocator, &odd, &info, buffers, 2) == -EINVAL);
	struct hbm_wl_allocate_options many = {.size = sizeof(many), .request = &request, .count = 17};
	CHECK(hbm_wl_allocator_allocate(allocator, &many, &info, buffers, 2) == -EINVAL);
	CHECK(buffers[0] == UNTOUCHED && buffers[1] == UNTOUCHED && info.format == 0x5eed);
	CHECK(allocator_rig_served() == 0 && allocator_rig_refused() == 0);

	if (!with_memory) {
		/* The compositor's refusal, as data. */
		CHECK(hbm_wl_allocator_allocate(allocator, &two, &info, buffers, 2) == -ENOTSUP);
		CHECK(hbm_last_reason() == HBM_REASON_NO_DMA_BUF_MEMORY && hbm_last_rejection_count() == 1);
		/* The protocol carries the reason alone: no allocator or format of this process's. */
		struct hbm_rejection rejection;
		CHECK(last_rejection(0, &rejection) == 0 && rejection.reason == HBM_REASON_NO_DMA_BUF_MEMORY);
		CHECK(strcmp(rejection.allocator, "") == 0 && rejection.format == 0 && rejection.set_by_count == 0);
		CHECK(buffers[0] == UNTOUCHED && buffers[1] == UNTOUCHED && info.format == 0x5eed);
		CHECK(allocator_rig_refused() == 1);
		printf("c-allocator: no dma-buf memory on this machine: the refusal path only (the lab runs the rest)\n");
	} else {
		/* An older program's struct: its first size. */
		struct hbm_wl_allocate_options old;
		memset(&old, 0, sizeof(old));
		old.size = HBM_WL_ALLOCATE_OPTIONS_SIZE_V1;
		old.request = &request;
		old.count = 2;
		CHECK(hbm_wl_allocator_allocate(allocator, &old, &info, buffers, 2) == 2);
		CHECK(info.format == DRM_FORMAT_XRGB8888 && info.modifier == DRM_FORMAT_MOD_LINEAR);
		CHECK(info.allocator && strcmp(info.allocator, "dma-heap:system") == 0);
		CHECK(buffers[0] != UNTOUCHED && buffers[1] != UNTOUCHED && buffers[0] != buffers[1]);
		CHECK(hbm_wl_allocator_get_held(allocator) == 2 && allocator_rig_held() == 2);
		/* A dry run: what would be chosen, nothing made. */
		struct hbm_wl_allocate_options dry = {.size = sizeof(dry), .request = &request,
						      .flags = HBM_WL_ALLOCATE_DRY_RUN};
		CHECK(hbm_wl_allocator_allocate(allocator, &dry, &info, NULL, 0) == 0);
		CHECK(allocator_rig_held() == 2);
		/* Unreferenced, the buffers go back to the compositor at the next call. */
		hbm_buffer_unref(buffers[0]);
		hbm_buffer_unref(buffers[1]);
		CHECK(hbm_wl_allocator_get_held(allocator) == 0);
		wl_display_roundtrip(display);
		CHECK(allocator_rig_held() == 0);
	}
	hbm_wl_allocator_destroy(allocator);
	hbm_wl_allocator_destroy(NULL);
	allocator_rig_stop();
	printf("c-allocator: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
