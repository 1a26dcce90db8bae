/* SPDX-License-Identifier: MIT */
/* hbm-wayland-client.h from C, against the scripted compositor (c_rig.h), with hbm.h's
 * convention pinned on this header: the size rule from an older and a newer program, NULL
 * options, *out untouched on failure, -ERANGE past the end, uint64_t devices, callbacks
 * with the caller's pointer last. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/hbm-wayland-client.h>

#include "../abi/check.h"
#include "c_rig.h"

#define UNTOUCHED ((void *)0x5eed)

_Static_assert(sizeof(((struct hbm_wl_feedback_info *)0)->main_device) == sizeof(uint64_t), "devices are uint64_t");
_Static_assert(sizeof(((struct hbm_wl_tranche_info *)0)->target_device) == sizeof(uint64_t), "devices are uint64_t");

#define DEV(major, minor) ((((uint64_t)(major)) << 8) | (uint64_t)(minor)) /* small numbers only */

static int heard, heard_status = 1;

static void on_feedback(struct hbm_wl_client *client, int status, void *user_data)
{
	(void)client;
	heard++;
	heard_status = status;
	CHECK(user_data == &heard);
}

static struct hbm_buffer *stand_in(uint32_t width, uint32_t height)
{
	int fd = rig_stand_in((uint64_t)width * 4 * height);
	struct hbm_plane_import plane = {.size = sizeof(plane), .fd = fd, .stride = width * 4};
	struct hbm_buffer *buffer = NULL;
	CHECK(hbm_buffer_create_from_fds(IMPORT_OPTIONS(.width = width, .height = height, .format = DRM_FORMAT_XRGB8888, .modifier = DRM_FORMAT_MOD_LINEAR, .planes = &plane, .plane_count = 1), &buffer) == 0);
	close(fd);
	return buffer;
}

int main(void)
{
	struct wl_display *display = rig_connect();
	CHECK(display != NULL);
	struct hbm_context_options context_options = {.size = sizeof(context_options), .flags = 0};
	struct hbm_context *ctx = NULL;
	CHECK(hbm_context_create_with_options(&context_options, &ctx) == 0);
	int fds_before = rig_open_fds();

	/* Options from a newer program: a tail asking for more is refused, *out untouched. */
	struct hbm_wl_client *client = UNTOUCHED;
	struct {
		struct hbm_wl_client_options options;
		uint64_t tail;
	} newer = {.options = {.size = sizeof(newer), .max_version = 4}, .tail = 1};
	CHECK(hbm_wl_client_create(display, ctx, &newer.options, &client) == -E2BIG && client == UNTOUCHED);
	struct hbm_wl_client_options small = {.size = HBM_WL_CLIENT_OPTIONS_SIZE_V1 - 1};
	CHECK(hbm_wl_client_create(display, ctx, &small, &client) == -EINVAL && client == UNTOUCHED);
	CHECK(hbm_wl_client_create(display, ctx, NULL, NULL) == -EINVAL);
	CHECK(hbm_wl_client_create(display, NULL, NULL, &client) == -EINVAL && client == UNTOUCHED);
	/* NULL options are the defaults; a zero tail asks for nothing more. */
	CHECK(hbm_wl_client_create(display, ctx, NULL, &client) == 0 && client != UNTOUCHED);
	hbm_wl_client_destroy(client);
	newer.tail = 0;
	CHECK(hbm_wl_client_create(display, ctx, &newer.options, &client) == 0);
	hbm_wl_client_destroy(client);

	/* An older program's options: its first version's size. */
	struct hbm_wl_client_options options = {.size = HBM_WL_CLIENT_OPTIONS_SIZE_V1, .max_version = 4};
	client = NULL;
	CHECK(hbm_wl_client_create(display, ctx, &options, &client) == 0);
	CHECK(client != NULL);

	struct hbm_wl_feedback_info info = {.size = sizeof(info)};
	CHECK(hbm_wl_client_get_feedback(client, &info) == 0);
	CHECK(info.version == 4);
	CHECK(info.main_device == DEV(226, 200));
	CHECK(info.tranche_count == 2);

	struct hbm_wl_tranche_info tranche = {.size = sizeof(tranche)};
	CHECK(hbm_wl_client_get_tranche(client, 0, &tranche) == 0);
	CHECK(tranche.flags == HBM_WL_TRANCHE_SCANOUT);
	CHECK(tranche.target_device == DEV(226, 201));
	CHECK(tranche.pair_count == 1);
	uint32_t format = 0;
	uint64_t modifier = 0;
	CHECK(hbm_wl_client_get_tranche_pair(client, 0, 0, &format, &modifier) == 0);
	CHECK(format == DRM_FORMAT_XRGB8888 && modifier == DRM_FORMAT_MOD_LINEAR);
	CHECK(hbm_wl_client_get_tranche_pair(client, 0, 1, &format, &modifier) == -ERANGE);
	CHECK(hbm_wl_client_get_tranche(client, 1, &tranche) == 0);
	CHECK(tranche.flags == 0 && tranche.target_device == DEV(226, 200) && tranche.pair_count == 4);
	CHECK(hbm_wl_client_get_tranche(client, 2, &tranche) == -ERANGE);
	CHECK(strstr(hbm_last_error(), "tranche 2") != NULL);
	/* An out-struct of a newer program: its tail zeroed; below the first size: -EINVAL. */
	struct {
		struct hbm_wl_tranche_info info;
		uint64_t tail;
	} newer_tranche = {.info = {.size = sizeof(newer_tranche)}, .tail = 9};
	CHECK(hbm_wl_client_get_tranche(client, 0, &newer_tranche.info) == 0);
	CHECK(newer_tranche.tail == 0 && newer_tranche.info.pair_count == 1);
	struct hbm_wl_feedback_info tiny = {.size = 4};
	CHECK(hbm_wl_client_get_feedback(client, &tiny) == -EINVAL);

	struct hbm_participant *participant = UNTOUCHED;
	CHECK(hbm_wl_client_create_participant(client, 2, &participant) == -ERANGE && participant == UNTOUCHED);
	CHECK(hbm_wl_client_create_participant(client, 0, &participant) == 0);
	CHECK(participant != NULL && participant != UNTOUCHED);
	hbm_participant_destroy(participant);

	/* The host context has memfd only, which no compositor can import: refused, per tranche. */
	uint32_t formats[] = {DRM_FORMAT_XRGB8888};
	struct hbm_request request = {.size = sizeof(request), .width = 64, .height = 64, .formats = formats,
				      .format_count = 1};
	struct hbm_buffer *allocated = UNTOUCHED;
	struct hbm_wl_buffer_options buffer_options = {.size = sizeof(buffer_options), .request = &request};
	CHECK(hbm_wl_client_create_buffer(client, &buffer_options, &allocated) == -ENOTSUP);
	CHECK(allocated == UNTOUCHED);
	/* The first tranche's refusal is the data: memfd, the only allocator, makes no dma-buf. */
	struct hbm_rejection rejection;
	CHECK(hbm_last_reason() == HBM_REASON_NO_DMA_BUF_MEMORY && hbm_last_rejection_count() == 1);
	CHECK(last_rejection(0, &rejection) == 0 && strcmp(rejection.allocator, "memfd") == 0);
	CHECK(rejection.format == 0 && rejection.set_by_count == 0);
	CHECK(hbm_wl_client_create_buffer(client, NULL, &allocated) < 0); /* no request */
	CHECK(allocated == UNTOUCHED);
	struct hbm_participant *nobody[1] = {NULL};
	buffer_options.participants = nobody;
	buffer_options.participant_count = 1;
	CHECK(hbm_wl_client_create_buffer(client, &buffer_options, &allocated) == -EINVAL);
	CHECK(strstr(hbm_last_error(), "participants[0] is NULL") != NULL);
	CHECK(allocated == UNTOUCHED);

	/* One wl_buffer per buffer. */
	struct hbm_buffer *buffer = stand_in(64, 64);
	struct wl_buffer *first = NULL, *again = UNTOUCHED;
	CHECK(hbm_wl_client_get_wl_buffer(client, buffer, 0x80, &again) == -EINVAL && again == UNTOUCHED);
	CHECK(hbm_wl_client_get_wl_buffer(client, buffer, 0, &first) == 0 && first != NULL);
	for (int frame = 0; frame < 100; ++frame)
		CHECK(hbm_wl_client_get_wl_buffer(client, buffer, 0, &again) == 0 && again == first);
	CHECK(hbm_wl_client_get_wl_buffers_created(client) == 1);
	CHECK(hbm_wl_client_get_wl_buffer(client, buffer, 0x80, &again) == -EINVAL);
	struct hbm_buffer *async = stand_in(32, 32);
	CHECK(hbm_wl_client_get_wl_buffer(client, async, HBM_WL_BUFFER_ASYNC, &again) == 0 && again != first);
	CHECK(hbm_wl_client_get_wl_buffers_created(client) == 2);
	CHECK(rig_received_count() == 2);
	CHECK(rig_received_modifier(0) == DRM_FORMAT_MOD_LINEAR);

	/* Feedback change: XRGB8888 goes; the buffer is then one to drop. */
	CHECK(hbm_wl_client_check_buffer(client, buffer) == 0);
	CHECK(hbm_wl_client_set_feedback_listener(client, on_feedback, &heard) == 0);
	rig_drop_xrgb();
	CHECK(hbm_wl_client_roundtrip(client) == 0);
	CHECK(heard == 1 && heard_status == 0);
	CHECK(hbm_wl_client_get_feedback(client, &info) == 0 && info.tranche_count == 1);
	CHECK(hbm_wl_client_check_buffer(client, buffer) == -EINVAL);
	CHECK(hbm_last_reason() == HBM_REASON_FORMAT_NOT_TAKEN && hbm_last_rejection_count() == 1);
	CHECK(last_rejection(0, &rejection) == 0 && rejection.format == DRM_FORMAT_XRGB8888);

	hbm_buffer_unref(async);
	hbm_buffer_unref(buffer);
	hbm_wl_client_destroy(client);
	hbm_wl_client_destroy(NULL);
	CHECK(rig_live_buffers() == 0);
	CHECK(rig_open_fds() == fds_before);
	hbm_context_destroy(ctx);
	rig_disconnect();

	printf("%d checks passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
