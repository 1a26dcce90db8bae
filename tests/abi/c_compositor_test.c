/* SPDX-License-Identifier: MIT */
/*
 * What a C compositor does with hbm, in C (C11, -pedantic), against the real kernel: it
 * opens the vkms card itself (and so is DRM master), gives hbm that descriptor and the CMA
 * heap (nothing probed), describes a buffer for the primary plane and a declared panel
 * without IOMMU, reads the plan (CMA, contiguous), allocates, draws with the CPU, makes a
 * framebuffer through hbm and lights the display with its own atomic commit. The pixels
 * are read back through vkms' writeback connector. Then it checks refusals as data (the
 * cursor plane cannot take the mode's width; disjoint formats) and that every descriptor
 * it made is closed again.
 *
 * Without vkms it exits 77 (skipped), saying why; in the lab (HBM_LAB set) that is a failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <hbm/hbm.h>

#include "check.h"

/* CHECK, and leave the function if it failed (@cond is evaluated once). */
#define REQUIRE(cond)                                                                      \
	do {                                                                               \
		const int failed_before = failed;                                          \
		CHECK(cond);                                                               \
		if (failed != failed_before)                                               \
			return -1;                                                         \
	} while (0)

/* The descriptors open in this process; with @print, what each one is. */
static int count_fds(int print)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	int n = 0;
	if (!dir)
		return -1;
	while ((entry = readdir(dir)) != NULL) {
		char path[300], target[256];
		ssize_t len;
		if (entry->d_name[0] == '.')
			continue;
		n++;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", entry->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (print && len > 0)
			printf("c-compositor: fd %s: %.*s\n", entry->d_name, (int)len, target);
	}
	closedir(dir);
	return n - 1; /* the directory's own descriptor */
}

/* The first /dev/dri/card* whose driver is vkms (DRM_IOCTL_VERSION: vkms has no sysfs
 * driver link), or -1 with @why filled in. */
static int open_vkms(char *why, size_t size)
{
	int i;
	snprintf(why, size, "no /dev/dri/card* is vkms (the lab boots with it: tests/lab/run.sh)");
	for (i = 0; i < 16; i++) {
		char path[32];
		drmVersionPtr version;
		int fd;
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		version = drmGetVersion(fd);
		if (version && strcmp(version->name, "vkms") == 0) {
			drmFreeVersion(version);
			return fd;
		}
		drmFreeVersion(version);
		close(fd);
	}
	return -1;
}

/* The CMA heap's name: a CMA area with a dma-heap of the same name ("reserved" …). */
static int find_cma_heap(char *name, size_t size)
{
	DIR *dir = opendir("/sys/kernel/mm/cma");
	struct dirent *entry;
	int found = 0;
	while (dir && !found && (entry = readdir(dir)) != NULL) {
		char heap[300];
		if (entry->d_name[0] == '.')
			continue;
		snprintf(heap, sizeof(heap), "/dev/dma_heap/%s", entry->d_name);
		if (access(heap, F_OK) == 0) {
			snprintf(name, size, "%s", entry->d_name);
			found = 1;
		}
	}
	if (dir)
		closedir(dir);
	return found;
}

static void print_log(enum hbm_log_level level, const char *category, const char *message, void *user)
{
	(void)user;
	printf("hbm[%s] %d: %s\n", category, (int)level, message);
}

/* ---- The display, lit the way a compositor lights it: libdrm atomic. ------------------- */

struct display {
	uint32_t connector, crtc, crtc_index, writeback, mode_blob;
	drmModeModeInfo mode;
};

static uint32_t property(int fd, uint32_t object, uint32_t type, const char *name)
{
	drmModeObjectPropertiesPtr props = drmModeObjectGetProperties(fd, object, type);
	uint32_t id = 0, i;
	for (i = 0; props && i < props->count_props && !id; i++) {
		drmModePropertyPtr prop = drmModeGetProperty(fd, props->props[i]);
		if (prop && strcmp(prop->name, name) == 0)
			id = prop->prop_id;
		drmModeFreeProperty(prop);
	}
	drmModeFreeObjectProperties(props);
	return id;
}

static int set(drmModeAtomicReqPtr req, int fd, uint32_t object, uint32_t type, const char *name, uint64_t value)
{
	uint32_t id = property(fd, object, type, name);
	if (!id) {
		fprintf(stderr, "object %u has no property %s\n", object, name);
		return -1;
	}
	return drmModeAtomicAddProperty(req, object, id, value) < 0 ? -1 : 0;
}

/* The connected display connector, its CRTC, a 1920x1080 mode (else the preferred one) and
 * the writeback connector. */
static int find_display(int fd, struct display *d)
{
	drmModeResPtr res = drmModeGetResources(fd);
	int i, j, k;
	memset(d, 0, sizeof(*d));
	for (i = 0; res && i < res->count_connectors; i++) {
		drmModeConnectorPtr c = drmModeGetConnector(fd, res->connectors[i]);
		if (c && c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			d->writeback = c->connector_id;
		} else if (c && c->connection == DRM_MODE_CONNECTED && !d->connector && c->count_modes > 0) {
			d->connector = c->connector_id;
			d->mode = c->modes[0];
			for (j = 0; j < c->count_modes; j++)
				if ((c->modes[j].hdisplay == 1920 && c->modes[j].vdisplay == 1080) ||
				    (c->modes[j].type & DRM_MODE_TYPE_PREFERRED && d->mode.hdisplay != 1920))
					d->mode = c->modes[j];
			for (j = 0; j < c->count_encoders && !d->crtc; j++) {
				drmModeEncoderPtr e = drmModeGetEncoder(fd, c->encoders[j]);
				for (k = 0; e && k < res->count_crtcs && !d->crtc; k++)
					if (e->possible_crtcs & (1u << k)) {
						d->crtc = res->crtcs[k];
						d->crtc_index = (uint32_t)k;
					}
				drmModeFreeEncoder(e);
			}
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	return d->connector && d->crtc ? 0 : -1;
}

/* Shows @fb_id full screen on @plane (0: everything off). */
static int commit(int fd, struct display *d, uint32_t plane, uint32_t fb_id)
{
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	const uint32_t w = d->mode.hdisplay, h = d->mode.vdisplay;
	const uint32_t crtc = fb_id ? d->crtc : 0;
	int err = 0;
	if (fb_id && !d->mode_blob && drmModeCreatePropertyBlob(fd, &d->mode, sizeof(d->mode), &d->mode_blob))
		err = -1;
	err |= set(req, fd, d->connector, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", crtc);
	err |= set(req, fd, d->crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", fb_id ? d->mode_blob : 0);
	err |= set(req, fd, d->crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", fb_id ? 1 : 0);
	err |= set(req, fd, plane, DRM_MODE_OBJECT_PLANE, "FB_ID", fb_id);
	err |= set(req, fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_ID", crtc);
	err |= set(req, fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_X", 0);
	err |= set(req, fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_Y", 0);
	err |= set(req, fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_W", fb_id ? (uint64_t)w << 16 : 0);
	err |= set(req, fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_H", fb_id ? (uint64_t)h << 16 : 0);
	err |= set(req, fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_X", 0);
	err |= set(req, fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_Y", 0);
	err |= set(req, fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_W", fb_id ? w : 0);
	err |= set(req, fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_H", fb_id ? h : 0);
	if (!err && drmModeAtomicCommit(fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL)) {
		fprintf(stderr, "atomic commit: %s\n", strerror(errno));
		err = -1;
	}
	drmModeAtomicFree(req);
	if (!fb_id && d->mode_blob) {
		drmModeDestroyPropertyBlob(fd, d->mode_blob);
		d->mode_blob = 0;
	}
	return err ? -1 : 0;
}

/* What the CRTC composes, written into @fb_id by the writeback connector. vkms' encoders
 * cannot clone (possible_clones unset on 6.12), so the display connector lets go of the
 * CRTC for the capture and takes it back afterwards. */
static int capture(int fd, const struct display *d, uint32_t fb_id)
{
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	int32_t fence = -1;
	int err = 0;
	err |= set(req, fd, d->connector, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", 0);
	err |= set(req, fd, d->writeback, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", d->crtc);
	err |= set(req, fd, d->writeback, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID", fb_id);
	err |= set(req, fd, d->writeback, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_OUT_FENCE_PTR",
		   (uint64_t)(uintptr_t)&fence);
	if (!err && drmModeAtomicCommit(fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL)) {
		fprintf(stderr, "writeback commit: %s\n", strerror(errno));
		err = -1;
	}
	drmModeAtomicFree(req);
	if (!err) {
		struct pollfd pfd;
		pfd.fd = fence;
		pfd.events = POLLIN;
		pfd.revents = 0;
		err = fence >= 0 && poll(&pfd, 1, 5000) == 1 ? 0 : -1;
	}
	if (fence >= 0)
		close(fence);
	req = drmModeAtomicAlloc();
	set(req, fd, d->writeback, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", 0);
	set(req, fd, d->connector, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", d->crtc);
	if (drmModeAtomicCommit(fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL))
		err = -1;
	drmModeAtomicFree(req);
	return err;
}

/* ---- The buffer's pixels. ----------------------------------------------------------------- */

static uint32_t pattern(uint32_t x, uint32_t y)
{
	return (x * 255 / 1920) << 16 | (y * 255 / 1080) << 8 | ((x / 64 + y / 64) % 2 ? 0xff : 0x40);
}

/* Draws (@write) or checks the pattern; returns the number of pixels that differ. */
static long pixels(struct hbm_buffer *buffer, int write)
{
	struct hbm_cpu_access *access = NULL;
	uint32_t stride = 0, x, y;
	long wrong = 0;
	unsigned char *data;
	size_t size = 0;
	if (hbm_buffer_get_plane(buffer, 0, &stride, NULL) ||
	    hbm_buffer_begin_cpu_access(buffer, write ? HBM_CPU_WRITE : HBM_CPU_READ, &access))
		return -1;
	data = hbm_cpu_access_plane_data(access, 0, &size);
	for (y = 0; data && y < hbm_buffer_get_height(buffer); y++) {
		uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * stride);
		for (x = 0; x < hbm_buffer_get_width(buffer); x++) {
			if (write)
				row[x] = 0xff000000u | pattern(x, y);
			else if ((row[x] & 0xffffff) != pattern(x, y) && wrong++ < 3)
				fprintf(stderr, "pixel %u,%u: 0x%08x, drew 0x%08x\n", x, y, row[x], pattern(x, y));
		}
	}
	if (hbm_cpu_access_end(access) || !data)
		return -1;
	return wrong;
}

/* ---- The test. ---------------------------------------------------------------------------- */

static int show_and_read_back(int card, struct hbm_context *ctx, const char *cma, struct display *d)
{
	const uint32_t xrgb = DRM_FORMAT_XRGB8888;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	char expected[300];
	struct hbm_participant *primary = NULL, *panel = NULL;
	struct hbm_participant_info info;
	struct hbm_constraints contiguous;
	struct hbm_request request;
	struct hbm_description *description = NULL;
	struct hbm_plan_info plan;
	struct hbm_buffer *buffer = NULL, *target = NULL;
	struct hbm_kms *kms = NULL;
	uint32_t fb = 0, target_fb = 0;
	long wrong;
	size_t i;

	REQUIRE(hbm_participant_create_for_kms_plane_type(card, HBM_PLANE_PRIMARY, 1u << d->crtc_index, NULL, &primary) == 0);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	REQUIRE(hbm_participant_get_info(primary, &info) == 0);
	CHECK(info.kind == HBM_PARTICIPANT_KMS_PLANE && info.plane_type == HBM_PLANE_PRIMARY);
	CHECK(strcmp(info.driver, "vkms") == 0 && (info.possible_crtcs & (1u << d->crtc_index)));
	printf("c-compositor: %s, from %s\n", info.name, info.source);

	REQUIRE(hbm_participant_create_for_formats("panel", &xrgb, &linear, 1, &panel) == 0);
	memset(&contiguous, 0, sizeof(contiguous));
	contiguous.size = sizeof(contiguous);
	contiguous.flags = HBM_CONSTRAINT_CONTIGUOUS;
	REQUIRE(hbm_participant_add_constraints(panel, &contiguous) == 0);

	memset(&request, 0, sizeof(request));
	request.size = sizeof(request);
	request.width = d->mode.hdisplay;
	request.height = d->mode.vdisplay;
	request.usage = HBM_USAGE_SCANOUT | HBM_USAGE_CPU_WRITE;
	request.formats = &xrgb;
	request.format_count = 1;
	REQUIRE(hbm_description_create(ctx, &request, &description) == 0);
	CHECK(hbm_description_attach(description, primary) == 0);
	CHECK(hbm_description_attach(description, panel) == 0);
	memset(&plan, 0, sizeof(plan));
	plan.size = sizeof(plan);
	REQUIRE(hbm_description_get_plan(description, &plan) == 0);
	snprintf(expected, sizeof(expected), "dma-heap:%s", cma);
	CHECK(strcmp(plan.allocator, expected) == 0);
	CHECK(plan.flags & HBM_PLAN_CONTIGUOUS);
	CHECK(plan.format == DRM_FORMAT_XRGB8888 && plan.modifier == DRM_FORMAT_MOD_LINEAR);
	for (i = 0; i < plan.trace_count; i++)
		printf("c-compositor: plan: %s\n", hbm_description_get_trace_line(description, i));

	REQUIRE(hbm_description_allocate(description, &buffer) == 0);
	CHECK(hbm_buffer_is_device_importable(buffer));
	CHECK(pixels(buffer, 1) == 0);

	REQUIRE(hbm_kms_create_for_drm_fd(card, &kms) == 0);
	REQUIRE(hbm_kms_add_framebuffer(kms, buffer, &fb) == 0);
	CHECK(hbm_kms_remove_framebuffer(kms, fb + 1000) == -ENOENT);
	REQUIRE(commit(card, d, info.plane_id, fb) == 0);
	printf("c-compositor: showing framebuffer %u (%ux%u XR24 from %s) on plane %u, CRTC %u, connector %u\n", fb,
	       d->mode.hdisplay, d->mode.vdisplay, plan.allocator, info.plane_id, d->crtc, d->connector);

	/* The pixels the CRTC composes, through the writeback connector. */
	if (d->writeback) {
		CHECK(hbm_buffer_create(ctx, ALLOCATE_OPTIONS(.width = d->mode.hdisplay, .height = d->mode.vdisplay, .format = DRM_FORMAT_XRGB8888, .allocator = expected, .usage = HBM_USAGE_CPU_READ), &target) == 0);
		CHECK(target && hbm_kms_add_framebuffer(kms, target, &target_fb) == 0);
		CHECK(target_fb && capture(card, d, target_fb) == 0);
		wrong = target_fb ? pixels(target, 0) : -1;
		CHECK(wrong == 0);
		printf("c-compositor: writeback read back %ux%u pixels: %ld differ from what was drawn\n",
		       d->mode.hdisplay, d->mode.vdisplay, wrong);
		if (target_fb)
			CHECK(hbm_kms_remove_framebuffer(kms, target_fb) == 0);
		hbm_buffer_unref(target);
	} else {
		printf("c-compositor: no writeback connector: pixels not read back\n");
	}

	CHECK(commit(card, d, info.plane_id, 0) == 0);
	CHECK(hbm_kms_remove_framebuffer(kms, fb) == 0);
	CHECK(hbm_kms_remove_framebuffer(kms, fb) == -ENOENT);
	hbm_kms_destroy(kms);
	hbm_buffer_unref(buffer);
	hbm_description_destroy(description);
	hbm_participant_destroy(primary);
	hbm_participant_destroy(panel);
	return 0;
}

/* Refusals a compositor switches on, as data. */
static void check_refusals(int card, struct hbm_context *ctx, const struct display *d)
{
	const uint32_t xrgb = DRM_FORMAT_XRGB8888, nv12 = DRM_FORMAT_NV12;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	struct hbm_participant *cursor = NULL, *panel = NULL, *decoder = NULL, *missing = NULL;
	struct hbm_participant_info info;
	struct hbm_request request;
	struct hbm_description *description = NULL;
	struct hbm_rejection rejection;

	memset(&request, 0, sizeof(request));
	request.size = sizeof(request);
	request.width = d->mode.hdisplay;
	request.height = d->mode.vdisplay;
	request.formats = &xrgb;
	request.format_count = 1;
	CHECK(hbm_description_create(ctx, &request, &description) == 0);
	if (!description)
		return;

	/* A plane id that is not on the device: named, with the planes there are. */
	CHECK(hbm_participant_create_for_kms_plane(card, 9999, NULL, &missing) == -ENOENT);
	CHECK(strstr(hbm_last_error(), "has no plane 9999") && strstr(hbm_last_error(), "(cursor)"));
	printf("c-compositor: %s\n", hbm_last_error());

	/* The cursor plane cannot take the mode's width. */
	CHECK(hbm_participant_create_for_kms_plane_type(card, HBM_PLANE_CURSOR, 0, NULL, &cursor) == 0);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	CHECK(cursor && hbm_participant_get_info(cursor, &info) == 0);
	CHECK(hbm_participant_create_for_kms_plane(card, info.plane_id, NULL, &missing) == 0);
	CHECK(missing && hbm_participant_get_info(missing, &info) == 0 && strstr(info.source, "not probed yet"));
	hbm_participant_destroy(missing);
	/* Asked to probe with the context's memory (its CMA heap, nothing opened for it), the
	 * plane's source says what was tried and what vkms answered. */
	missing = NULL;
	CHECK(hbm_participant_create_for_kms_plane_type(card, HBM_PLANE_CURSOR, 0, ctx, &missing) == 0);
	CHECK(missing && hbm_participant_get_info(missing, &info) == 0 &&
	      strstr(info.source, "imports foreign dma-bufs (probed: PRIME import of a one-page dma-heap:"));
	if (missing)
		printf("c-compositor: probed: %s\n", info.source);
	hbm_participant_destroy(missing);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	CHECK(cursor && hbm_participant_get_info(cursor, &info) == 0);
	CHECK(hbm_description_attach(description, cursor) == -ENOTSUP);
	CHECK(hbm_last_reason() == HBM_REASON_WIDTH_LIMIT);
	memset(&rejection, 0, sizeof(rejection));
	rejection.size = sizeof(rejection);
	CHECK(hbm_last_rejection_count() == 1 && hbm_last_rejection(0, &rejection) == 0);
	CHECK(rejection.reason == HBM_REASON_WIDTH_LIMIT && rejection.value == d->mode.hdisplay);
	CHECK(rejection.limit > 0 && rejection.limit < d->mode.hdisplay);
	CHECK(rejection.set_by_count == 1 && strcmp(rejection.set_by[0], info.name) == 0);
	printf("c-compositor: %s: %s (limit %llu)\n", hbm_reason_name(hbm_last_reason()), hbm_last_error(),
	       (unsigned long long)rejection.limit);

	/* Disjoint formats. */
	CHECK(hbm_participant_create_for_formats("panel", &xrgb, &linear, 1, &panel) == 0);
	CHECK(hbm_participant_create_for_formats("decoder", &nv12, &linear, 1, &decoder) == 0);
	CHECK(hbm_description_attach(description, panel) == 0);
	CHECK(hbm_description_attach(description, decoder) == -ENOTSUP);
	CHECK(hbm_last_reason() == HBM_REASON_FORMAT_NOT_TAKEN);
	CHECK(hbm_last_rejection(0, &rejection) == 0 && rejection.set_by_count == 1 &&
	      strcmp(rejection.set_by[0], "decoder (declared)") == 0);
	printf("c-compositor: %s: %s\n", hbm_reason_name(hbm_last_reason()), hbm_last_error());
	/* Never attached: nothing to detach. */
	CHECK(hbm_description_detach(description, decoder) == -ENOENT);
	CHECK(hbm_last_reason() == HBM_REASON_NOT_ATTACHED);
	CHECK(hbm_description_detach(description, panel) == 0);

	hbm_description_destroy(description);
	hbm_participant_destroy(cursor);
	hbm_participant_destroy(panel);
	hbm_participant_destroy(decoder);
}

int main(void)
{
	const int fds_before = count_fds(0);
	char why[160], cma[256];
	const char *heaps[1];
	struct hbm_context_options options;
	struct hbm_context *ctx = NULL;
	struct display display;
	int card, fds_after;

	card = open_vkms(why, sizeof(why));
	if (card < 0) {
		printf("c-compositor: skipped: %s\n", why);
		return getenv("HBM_LAB") ? 1 : 77;
	}
	if (!find_cma_heap(cma, sizeof(cma))) {
		close(card);
		printf("c-compositor: skipped: no CMA heap (a /sys/kernel/mm/cma area with a /dev/dma_heap node)\n");
		return getenv("HBM_LAB") ? 1 : 77;
	}
	hbm_set_log_handler(print_log, NULL);
	CHECK(hbm_set_log_levels("warn") == 0);
	CHECK(drmIsMaster(card)); /* the first opener, as a compositor after libseat */
	CHECK(drmSetClientCap(card, DRM_CLIENT_CAP_ATOMIC, 1) == 0);
	CHECK(drmSetClientCap(card, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1) == 0);
	CHECK(find_display(card, &display) == 0);

	/* The compositor's card and the CMA heap, nothing else: no probing, no files read. */
	heaps[0] = cma;
	memset(&options, 0, sizeof(options));
	options.size = sizeof(options);
	options.drm_fds = &card;
	options.drm_fd_count = 1;
	options.heaps = heaps;
	options.heap_count = 1;
	CHECK(hbm_context_create_with_options(&options, &ctx) == 0);
	if (ctx && display.connector) {
		show_and_read_back(card, ctx, cma, &display);
		check_refusals(card, ctx, &display);
	}
	hbm_context_destroy(ctx);
	hbm_set_log_handler(NULL, NULL);
	close(card);

	/* Every descriptor hbm and the test opened is closed again. */
	fds_after = count_fds(0);
	CHECK(fds_after == fds_before);
	if (fds_after != fds_before)
		count_fds(1);
	printf("c-compositor: %d descriptors before, %d after\n", fds_before, fds_after);
	printf("c-compositor: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
