/* SPDX-License-Identifier: MIT */
/*
 * A compositor's path through the C ABI, for tests/lab/embedded_opens.sh to watch under
 * strace: it opens the vkms card itself (as libseat would hand it over), then — between two
 * marker opens of paths that do not exist — gives hbm that descriptor alone (for the plain
 * call and the options variant with probing off), takes the primary plane as a participant,
 * allocates for it and adds a framebuffer. The script refuses any device node or hbm
 * configuration file opened between the markers: "nothing else is opened" (README).
 *
 * Without vkms it exits 77 (skipped), saying why.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include <hbm/hbm.h>

#include "check.h"

static int open_vkms(void)
{
	for (int i = 0; i < 8; ++i) {
		char path[32];
		snprintf(path, sizeof path, "/dev/dri/card%d", i);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		drmVersionPtr v = drmGetVersion(fd);
		const int vkms = v && strcmp(v->name, "vkms") == 0;
		drmFreeVersion(v);
		if (vkms)
			return fd;
		close(fd);
	}
	return -1;
}

/* An open the script looks for in the trace: it fails (ENOENT) and leaves nothing open. */
static void marker(const char *name)
{
	char path[64];
	snprintf(path, sizeof path, "/nonexistent-hbm-marker/%s", name);
	int fd = open(path, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

/* Everything a compositor does with @ctx: the primary plane, a buffer for it, a framebuffer. */
static void use(struct hbm_context *ctx, int card, const struct hbm_context *probe_ctx)
{
	struct hbm_participant *primary = NULL;
	CHECK(hbm_participant_create_for_kms_plane_type(card, HBM_PLANE_PRIMARY, 0, probe_ctx, &primary) == 0);
	const uint32_t formats[] = {DRM_FORMAT_XRGB8888};
	struct hbm_request request = {sizeof request, 640, 480, HBM_USAGE_SCANOUT, formats, 1, NULL};
	struct hbm_description *description = NULL;
	CHECK(hbm_description_create(ctx, &request, &description) == 0);
	if (primary && description)
		CHECK(hbm_description_attach(description, primary) == 0);
	struct hbm_buffer *buffer = NULL;
	if (description)
		CHECK(hbm_description_allocate(description, &buffer) == 0);
	struct hbm_kms *kms = NULL;
	CHECK(hbm_kms_create_for_drm_fd(card, &kms) == 0);
	uint32_t fb = 0;
	if (kms && buffer)
		CHECK(hbm_kms_add_framebuffer(kms, buffer, &fb) == 0 && fb != 0);
	hbm_kms_destroy(kms);
	hbm_buffer_unref(buffer);
	hbm_description_destroy(description);
	hbm_participant_destroy(primary);
}

int main(void)
{
	int card = open_vkms();
	if (card < 0) {
		fprintf(stderr, "skipped: no vkms card (/dev/dri/card*)\n");
		return 77;
	}

	/* A context the caller gave a heap, made before the watch: probing foreign import with
	 * it takes a page of that heap and opens nothing. */
	const char *system_heap = "system";
	struct hbm_context_options with_heap;
	memset(&with_heap, 0, sizeof with_heap);
	with_heap.size = sizeof with_heap;
	with_heap.drm_fds = &card;
	with_heap.drm_fd_count = 1;
	with_heap.heaps = &system_heap;
	with_heap.heap_count = 1;
	struct hbm_context *heap_ctx = NULL;
	CHECK(hbm_context_create_with_options(&with_heap, &heap_ctx) == 0);

	marker("begin");
	struct hbm_context *ctx = NULL;
	CHECK(hbm_context_create_for_drm_fd(card, 0, &ctx) == 0);
	if (ctx)
		use(ctx, card, NULL);
	if (heap_ctx)
		use(heap_ctx, card, heap_ctx);
	hbm_context_destroy(ctx);

	struct hbm_context_options options;
	memset(&options, 0, sizeof options);
	options.size = sizeof options;
	options.drm_fds = &card;
	options.drm_fd_count = 1;
	ctx = NULL;
	CHECK(hbm_context_create_with_options(&options, &ctx) == 0);
	if (ctx)
		use(ctx, card, NULL);
	hbm_context_destroy(ctx);
	marker("end");
	hbm_context_destroy(heap_ctx);

	close(card);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
