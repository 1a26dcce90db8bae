/* SPDX-License-Identifier: MIT */
/* libhbm-egl's C ABI from C: bad input everywhere, and hbm.h's convention on this header
 * (the size rule from an older and a newer program, NULL options, *out untouched on
 * failure); with a vkms card (the lab), an EGL display on its GBM device as a participant
 * local to that card. Exit 77 (skip) on a machine without vkms after the argument checks;
 * in the lab (HBM_LAB=1) that fails. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gbm.h>
#include <xf86drm.h>

#include <hbm/hbm-egl.h>

#include "../abi/check.h"

#define UNTOUCHED ((void *)0x5eed)

static int open_vkms(void)
{
	for (int i = 0; i < 16; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		drmVersionPtr v = drmGetVersion(fd);
		int match = v && strcmp(v->name, "vkms") == 0;
		drmFreeVersion(v);
		if (match)
			return fd;
		close(fd);
	}
	return -1;
}

static void bad_input(void)
{
	EGLImageKHR image = EGL_NO_IMAGE_KHR;
	struct hbm_buffer *buffer = UNTOUCHED;
	struct hbm_participant *participant = UNTOUCHED;

	CHECK(hbm_egl_image_create_from_buffer(EGL_NO_DISPLAY, NULL, NULL, &image) == -EINVAL);
	CHECK(strstr(hbm_last_error(), "buffer is NULL") != NULL);
	CHECK(image == EGL_NO_IMAGE_KHR);
	CHECK(hbm_egl_image_create_from_buffer(EGL_NO_DISPLAY, NULL, NULL, NULL) == -EINVAL);
	CHECK(strstr(hbm_last_error(), "out is NULL") != NULL);

	CHECK(hbm_egl_buffer_create_from_image(EGL_NO_DISPLAY, EGL_NO_IMAGE_KHR, 64, 64, &buffer) == -EINVAL);
	CHECK(buffer == UNTOUCHED);
	CHECK(hbm_egl_buffer_create_from_image(EGL_NO_DISPLAY, EGL_NO_IMAGE_KHR, 64, 64, NULL) == -EINVAL);

	struct hbm_egl_participant_options options = {.size = 4};
	CHECK(hbm_egl_participant_create_for_display(EGL_NO_DISPLAY, &options, &participant) == -EINVAL);
	CHECK(strstr(hbm_last_error(), "set size = sizeof(struct hbm_egl_participant_options)") != NULL);
	/* A newer program's options: a non-zero tail is refused before the display is looked
	 * at; a zero tail, an older program's first size and NULL all reach it. */
	struct {
		struct hbm_egl_participant_options options;
		uint64_t tail;
	} newer = {.options = {.size = sizeof(newer)}, .tail = 1};
	CHECK(hbm_egl_participant_create_for_display(EGL_NO_DISPLAY, &newer.options, &participant) == -E2BIG);
	newer.tail = 0;
	CHECK(hbm_egl_participant_create_for_display(EGL_NO_DISPLAY, &newer.options, &participant) == -EINVAL);
	CHECK(strstr(hbm_last_error(), "EGL_NO_DISPLAY") != NULL);
	newer.options.size = HBM_EGL_PARTICIPANT_OPTIONS_SIZE_V1;
	CHECK(hbm_egl_participant_create_for_display(EGL_NO_DISPLAY, &newer.options, &participant) == -EINVAL);
	CHECK(strstr(hbm_last_error(), "EGL_NO_DISPLAY") != NULL);
	CHECK(hbm_egl_participant_create_for_display(EGL_NO_DISPLAY, NULL, &participant) == -EINVAL);
	CHECK(strstr(hbm_last_error(), "EGL_NO_DISPLAY") != NULL);
	options.size = sizeof(options);
	options.use = 7;
	CHECK(hbm_egl_participant_create_for_display(EGL_NO_DISPLAY, &options, &participant) == -EINVAL);
	CHECK(strstr(hbm_last_error(), "HBM_EGL_USE_RENDERING") != NULL);
	options.use = HBM_EGL_USE_RENDERING;
	CHECK(hbm_egl_participant_create_for_display(EGL_NO_DISPLAY, &options, &participant) == -EINVAL);
	CHECK(strstr(hbm_last_error(), "EGL_NO_DISPLAY") != NULL);
	CHECK(participant == UNTOUCHED);
}

static int has_reason(uint32_t reason)
{
	for (size_t i = 0; i < hbm_last_rejection_count(); i++) {
		struct hbm_rejection r = {.size = sizeof(r)};
		if (hbm_last_rejection(i, &r) == 0 && r.reason == reason)
			return 1;
	}
	return 0;
}

/* A buffer negotiated for the display is vkms memory and becomes an EGLImage, which
 * exports back into hbm; the system heap alone is refused as not the device's memory. */
static void negotiated_image(EGLDisplay display, int card, const struct hbm_participant *participant, uint64_t device)
{
	const uint32_t format = 0x34325258; /* XRGB8888 */
	struct hbm_request request = {.size = sizeof(request), .width = 64, .height = 64,
				      .usage = HBM_USAGE_RENDER | HBM_USAGE_TEXTURE, .formats = &format,
				      .format_count = 1};

	const char *heaps[] = {"system"};
	struct hbm_context_options heap_only = {.size = sizeof(heap_only), .heaps = heaps, .heap_count = 1};
	struct hbm_context *heap_ctx = NULL;
	CHECK(hbm_context_create_with_options(&heap_only, &heap_ctx) == 0);
	struct hbm_description *refused = NULL;
	CHECK(hbm_description_create(heap_ctx, &request, &refused) == 0);
	CHECK(hbm_description_attach(refused, participant) < 0);
	CHECK(has_reason(HBM_REASON_NOT_DEVICE_LOCAL));
	hbm_description_destroy(refused);
	hbm_context_destroy(heap_ctx);

	struct hbm_context *ctx = NULL;
	CHECK(hbm_context_create_for_drm_fd(card, 0, &ctx) == 0);
	struct hbm_description *description = NULL;
	CHECK(hbm_description_create(ctx, &request, &description) == 0);
	CHECK(hbm_description_attach(description, participant) == 0);
	struct hbm_plan_info plan = {.size = sizeof(plan)};
	CHECK(hbm_description_get_plan(description, &plan) == 0);
	CHECK(plan.local_to_device == device);
	struct hbm_buffer *buffer = NULL;
	CHECK(hbm_description_allocate(description, &buffer) == 0);

	struct hbm_egl_image_options bad = {.size = 2};
	EGLImageKHR image = EGL_NO_IMAGE_KHR;
	CHECK(hbm_egl_image_create_from_buffer(display, buffer, &bad, &image) == -EINVAL);
	CHECK(image == EGL_NO_IMAGE_KHR);
	struct {
		struct hbm_egl_image_options options;
		uint64_t tail;
	} newer = {.options = {.size = sizeof(newer)}, .tail = 1};
	CHECK(hbm_egl_image_create_from_buffer(display, buffer, &newer.options, &image) == -E2BIG);
	CHECK(image == EGL_NO_IMAGE_KHR);
	struct hbm_egl_image_options options = {.size = HBM_EGL_IMAGE_OPTIONS_SIZE_V1};
	CHECK(hbm_egl_image_create_from_buffer(display, buffer, &options, &image) == 0);
	CHECK(image != EGL_NO_IMAGE_KHR);
	if (image != EGL_NO_IMAGE_KHR) {
		struct hbm_buffer *exported = NULL;
		CHECK(hbm_egl_buffer_create_from_image(display, image, 64, 64, &exported) == 0);
		if (exported) {
			CHECK(hbm_buffer_get_format(exported) == format);
			CHECK(hbm_buffer_get_plane_count(exported) == 1);
			hbm_buffer_unref(exported);
		}
		PFNEGLDESTROYIMAGEKHRPROC destroy = (PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
		CHECK(destroy && destroy(display, image));
	}
	hbm_buffer_unref(buffer);
	hbm_description_destroy(description);
	hbm_context_destroy(ctx);
}

/* 0 done, 77 no vkms. */
static int vkms_display(void)
{
	int card = open_vkms();
	if (card < 0)
		return 77;
	struct stat st;
	CHECK(fstat(card, &st) == 0);
	setenv("MESA_LOADER_DRIVER_OVERRIDE", "kms_swrast", 1);
	struct gbm_device *gbm = gbm_create_device(card);
	CHECK(gbm != NULL);
	PFNEGLGETPLATFORMDISPLAYEXTPROC get_display =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	EGLDisplay display = get_display ? get_display(EGL_PLATFORM_GBM_KHR, gbm, NULL) : EGL_NO_DISPLAY;
	CHECK(display != EGL_NO_DISPLAY && eglInitialize(display, NULL, NULL));

	struct hbm_egl_participant_options options = {.size = sizeof(options), .use = HBM_EGL_USE_SAMPLING, .drm_fd = &card};
	struct hbm_participant *participant = NULL;
	CHECK(hbm_egl_participant_create_for_display(display, &options, &participant) == 0);
	if (participant) {
		struct hbm_constraints constraints = {.size = sizeof(constraints)};
		CHECK(hbm_participant_get_constraints(participant, &constraints) == 0);
		CHECK(constraints.local_to_device == (uint64_t)st.st_rdev);
		struct hbm_participant_info info = {.size = sizeof(info)};
		CHECK(hbm_participant_get_info(participant, &info) == 0);
		CHECK(info.kind == HBM_PARTICIPANT_EGL_DISPLAY);
		CHECK(strcmp(info.driver, "vkms") == 0);
		negotiated_image(display, card, participant, (uint64_t)st.st_rdev);
		hbm_participant_destroy(participant);
	}
	eglTerminate(display);
	gbm_device_destroy(gbm);
	close(card);
	return 0;
}

int main(void)
{
	bad_input();
	int vkms = vkms_display();
	const char *lab = getenv("HBM_LAB");
	if (vkms == 77 && lab && strcmp(lab, "1") == 0) {
		fprintf(stderr, "lab guest has no vkms card\n");
		failed++;
	}
	printf("%d passed, %d failed%s\n", passed, failed, vkms == 77 ? " (no vkms: display checks skipped)" : "");
	if (failed)
		return 1;
	return vkms == 77 ? 77 : 0;
}
