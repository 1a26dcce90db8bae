/* SPDX-License-Identifier: MIT */
/* libhbm-wayland's compositor C ABI from C (C11, -pedantic): hbm.h's convention on this
 * header (the size rule from an older and a newer program, NULL options, *out untouched,
 * -ERANGE, uint64_t devices, callbacks with the caller's pointer last), feedback from an
 * hbm participant, the global on a real wl_display, and a raw client in the same thread
 * (requests flushed, the server's loop dispatched, the events read) that reads the default
 * feedback back, gets `failed` for a buffer that is no dma-buf, and makes one of a dma-buf
 * stand-in whose hbm_buffer — and the user data set on it — is the one handle the
 * compositor is given every time. No descriptor is left open at the end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-client.h>
#include <wayland-server.h>

#include <hbm/hbm-wayland-compositor.h>
#include <hbm/hbm.h>

#include "../abi/check.h"

#define UNTOUCHED ((void *)0x5eed)
/* tests/fakes/dma_buf_stand_in.hpp's name: a memfd so named is a dma-buf to hbm. */
#define STAND_IN_NAME "hbm-dma-buf-stand-in"

_Static_assert(sizeof(hbm_wl_compositor_feedback_get_main_device(NULL)) == sizeof(uint64_t), "devices are uint64_t");
#include "linux-dmabuf-unstable-v1-client-protocol.h"

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int contains(const char *haystack, const char *needle)
{
	return haystack && strstr(haystack, needle) != NULL;
}

/* One exchange: the client's requests reach the server, its answers come back. */
static void pump(struct wl_display *server, struct wl_display *client)
{
	wl_display_flush(client);
	wl_event_loop_dispatch(wl_display_get_event_loop(server), 0);
	wl_display_flush_clients(server);
	wl_display_dispatch(client);
}

struct client_state {
	struct zwp_linux_dmabuf_v1 *dmabuf;
	uint32_t dmabuf_version;
	dev_t main_device;
	uint32_t table_size;
	int tranches;
	int feedback_done;
	int failed;
	int created;
};

static void global(void *data, struct wl_registry *registry, uint32_t name, const char *interface, uint32_t version)
{
	struct client_state *s = data;
	if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0) {
		s->dmabuf_version = version;
		s->dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 4);
	}
}
static void global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
	(void)data, (void)registry, (void)name;
}
static const struct wl_registry_listener registry_listener = {global, global_remove};

static void fb_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
	(void)fb;
	((struct client_state *)data)->feedback_done++;
}
static void fb_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb, int32_t fd, uint32_t size)
{
	(void)fb;
	((struct client_state *)data)->table_size = size;
	close(fd);
}
static void fb_main_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb, struct wl_array *device)
{
	(void)fb;
	if (device->size == sizeof(dev_t))
		memcpy(&((struct client_state *)data)->main_device, device->data, sizeof(dev_t));
}
static void fb_tranche_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb)
{
	(void)fb;
	((struct client_state *)data)->tranches++;
}
static void fb_array(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb, struct wl_array *a)
{
	(void)data, (void)fb, (void)a;
}
static void fb_flags(void *data, struct zwp_linux_dmabuf_feedback_v1 *fb, uint32_t flags)
{
	(void)data, (void)fb, (void)flags;
}
static const struct zwp_linux_dmabuf_feedback_v1_listener feedback_listener = {
	fb_done, fb_table, fb_main_device, fb_tranche_done, fb_array, fb_array, fb_flags,
};

static void params_created(void *data, struct zwp_linux_buffer_params_v1 *p, struct wl_buffer *buffer)
{
	(void)p;
	((struct client_state *)data)->created++;
	wl_buffer_destroy(buffer);
}
static void params_failed(void *data, struct zwp_linux_buffer_params_v1 *p)
{
	(void)p;
	((struct client_state *)data)->failed++;
}
static const struct zwp_linux_buffer_params_v1_listener params_listener = {params_created, params_failed};

static int buffers_created, user_data_destroyed;
static struct wl_resource *last_resource;
static struct hbm_buffer *last_buffer;
static void on_user_data_destroyed(struct hbm_buffer *buffer, void *user_data)
{
	CHECK(buffer == last_buffer && user_data == &user_data_destroyed);
	user_data_destroyed++;
}
static void on_buffer(struct wl_resource *buffer, struct hbm_buffer *hbm_buffer, uint32_t flags, void *user_data)
{
	(void)flags;
	CHECK(user_data == &buffers_created);
	buffers_created++;
	last_resource = buffer;
	last_buffer = hbm_buffer;
	/* What a compositor caches per buffer (a texture): found again with the handle. */
	hbm_buffer_set_user_data(hbm_buffer, &user_data_destroyed, on_user_data_destroyed);
}

int main(void)
{
	const int fds_before = open_fds();
	const dev_t render = makedev(226, 0);

	/* A renderer known by its formats only (an EGL query): it names no device. */
	const uint32_t formats[] = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888};
	const uint64_t modifiers[] = {DRM_FORMAT_MOD_LINEAR, DRM_FORMAT_MOD_LINEAR};
	struct hbm_participant *renderer = NULL;
	CHECK(hbm_participant_create_for_formats("renderer", formats, modifiers, 2, &renderer) == 0);

	struct hbm_wl_compositor_feedback *feedback = UNTOUCHED;
	struct hbm_wl_compositor_feedback_options fo;
	struct {
		struct hbm_wl_compositor_feedback_options options;
		uint64_t tail;
	} newer;
	memset(&fo, 0, sizeof(fo));
	/* NULL options are a zeroed struct: refused for its missing renderer. */
	CHECK(hbm_wl_compositor_feedback_create(NULL, &feedback) == -EINVAL);
	CHECK(contains(hbm_last_error(), "renderer must not be NULL"));
	CHECK(hbm_wl_compositor_feedback_create(&fo, &feedback) == -EINVAL); /* size 0 */
	CHECK(contains(hbm_last_error(), "has size 0, smaller than its first version"));
	memset(&newer, 0, sizeof(newer));
	newer.options.size = sizeof(newer);
	newer.options.renderer = renderer;
	newer.options.main_device = render;
	newer.tail = 1;
	CHECK(hbm_wl_compositor_feedback_create(&newer.options, &feedback) == -E2BIG);
	CHECK(feedback == UNTOUCHED);
	newer.tail = 0; /* a newer program's struct asking nothing more; then an older one's */
	CHECK(hbm_wl_compositor_feedback_create(&newer.options, &feedback) == 0);
	hbm_wl_compositor_feedback_destroy(feedback);
	newer.options.size = HBM_WL_COMPOSITOR_FEEDBACK_OPTIONS_SIZE_V1;
	CHECK(hbm_wl_compositor_feedback_create(&newer.options, &feedback) == 0);
	hbm_wl_compositor_feedback_destroy(feedback);
	feedback = UNTOUCHED;
	fo.size = sizeof(fo);
	CHECK(hbm_wl_compositor_feedback_create(&fo, &feedback) == -EINVAL); /* no renderer */
	CHECK(contains(hbm_last_error(), "renderer must not be NULL"));
	fo.renderer = renderer;
	CHECK(hbm_wl_compositor_feedback_create(&fo, NULL) == -EINVAL);
	CHECK(hbm_wl_compositor_feedback_create(&fo, &feedback) == -EINVAL);
	CHECK(contains(hbm_last_error(), "names no DRM device"));
	fo.scanout_plane_count = 1;
	fo.main_device = render;
	CHECK(hbm_wl_compositor_feedback_create(&fo, &feedback) == -EINVAL);
	CHECK(contains(hbm_last_error(), "scanout_planes is NULL"));
	CHECK(feedback == UNTOUCHED);
	fo.scanout_plane_count = 0;
	CHECK(hbm_wl_compositor_feedback_create(&fo, &feedback) == 0 && feedback);
	CHECK(hbm_wl_compositor_feedback_get_main_device(feedback) == render);
	CHECK(hbm_wl_compositor_feedback_get_table_size(feedback) == 2);
	CHECK(hbm_wl_compositor_feedback_get_tranche_count(feedback) == 1);
	uint32_t format = 0;
	uint64_t modifier = 1;
	CHECK(hbm_wl_compositor_feedback_get_table_entry(feedback, 0, &format, &modifier) == 0);
	CHECK(format == DRM_FORMAT_ARGB8888 && modifier == DRM_FORMAT_MOD_LINEAR); /* sorted by fourcc */
	CHECK(hbm_wl_compositor_feedback_get_table_entry(feedback, 2, &format, &modifier) == -ERANGE);
	CHECK(format == DRM_FORMAT_ARGB8888); /* untouched */
	/* A value not wanted is NULL (hbm.h, OUT-POINTERS). */
	CHECK(hbm_wl_compositor_feedback_get_table_entry(feedback, 1, NULL, &modifier) == 0);
	CHECK(hbm_wl_compositor_feedback_get_table_entry(NULL, 0, &format, &modifier) == -EINVAL);
	CHECK(hbm_wl_compositor_feedback_get_table_size(NULL) == 0);

	/* The global. */
	struct wl_display *server = wl_display_create();
	struct hbm_wl_compositor_dmabuf *dmabuf = UNTOUCHED;
	struct hbm_wl_compositor_dmabuf_options o;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	CHECK(hbm_wl_compositor_dmabuf_create(server, &o, &dmabuf) == -EINVAL); /* no feedback */
	CHECK(hbm_wl_compositor_dmabuf_create(server, NULL, &dmabuf) == -EINVAL); /* the same */
	CHECK(dmabuf == UNTOUCHED);
	o.feedback = feedback;
	o.version = 5;
	CHECK(hbm_wl_compositor_dmabuf_create(server, &o, &dmabuf) == -EINVAL);
	CHECK(contains(hbm_last_error(), "version 5"));
	o.version = 0; /* 4 */
	o.buffer_created = on_buffer;
	o.user_data = &buffers_created;
	CHECK(hbm_wl_compositor_dmabuf_create(server, &o, &dmabuf) == 0 && dmabuf);
	hbm_wl_compositor_feedback_destroy(feedback); /* the global keeps its copy */
	CHECK(hbm_wl_compositor_buffer_from_resource(NULL) == NULL);
	CHECK(hbm_wl_compositor_dmabuf_set_surface_feedback(NULL, NULL, NULL) == -EINVAL);
	CHECK(hbm_wl_compositor_dmabuf_set_surface_feedback(dmabuf, NULL, NULL) == -EINVAL);
	CHECK(contains(hbm_last_error(), "not a wl_surface"));

	/* A client in this thread. */
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(wl_client_create(server, sv[0]) != NULL);
	struct wl_display *client = wl_display_connect_to_fd(sv[1]);
	CHECK(client != NULL);
	struct client_state s;
	memset(&s, 0, sizeof(s));
	struct wl_registry *registry = wl_display_get_registry(client);
	wl_registry_add_listener(registry, &registry_listener, &s);
	pump(server, client);
	CHECK(s.dmabuf && s.dmabuf_version == 4);
	if (s.dmabuf) {
		struct zwp_linux_dmabuf_feedback_v1 *fb = zwp_linux_dmabuf_v1_get_default_feedback(s.dmabuf);
		zwp_linux_dmabuf_feedback_v1_add_listener(fb, &feedback_listener, &s);
		pump(server, client);
		CHECK(s.feedback_done == 1);
		CHECK(s.main_device == render);
		CHECK(s.table_size == 2 * 16);
		CHECK(s.tranches == 1);
		zwp_linux_dmabuf_feedback_v1_destroy(fb);

		/* A memfd is no dma-buf: create is answered with `failed`, the client lives on. */
		int memfd = memfd_create("not-a-dma-buf", MFD_CLOEXEC);
		CHECK(memfd >= 0 && ftruncate(memfd, 64 * 64 * 4) == 0);
		struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(s.dmabuf);
		zwp_linux_buffer_params_v1_add_listener(params, &params_listener, &s);
		zwp_linux_buffer_params_v1_add(params, memfd, 0, 0, 256, 0, 0);
		zwp_linux_buffer_params_v1_create(params, 64, 64, DRM_FORMAT_XRGB8888, 0);
		pump(server, client);
		CHECK(s.failed == 1 && s.created == 0 && buffers_created == 0);
		CHECK(wl_display_get_error(client) == 0);
		zwp_linux_buffer_params_v1_destroy(params);

		/* A buffer made: the handle given to the callback is the one the resource gives
		 * back, with the user data set on it, until the client destroys the buffer. */
		int stand_in = memfd_create(STAND_IN_NAME, MFD_CLOEXEC);
		CHECK(stand_in >= 0 && ftruncate(stand_in, 64 * 64 * 4) == 0);
		params = zwp_linux_dmabuf_v1_create_params(s.dmabuf);
		zwp_linux_buffer_params_v1_add_listener(params, &params_listener, &s);
		zwp_linux_buffer_params_v1_add(params, stand_in, 0, 0, 256, 0, 0);
		zwp_linux_buffer_params_v1_create(params, 64, 64, DRM_FORMAT_XRGB8888, 0);
		pump(server, client); /* created: the client destroys its wl_buffer (queued) */
		CHECK(s.created == 1 && buffers_created == 1 && last_buffer != NULL);
		if (last_buffer) {
			struct hbm_buffer *again = hbm_wl_compositor_buffer_from_resource(last_resource);
			CHECK(again == last_buffer);
			CHECK(hbm_buffer_get_user_data(again) == &user_data_destroyed);
			hbm_buffer_unref(again);
			CHECK(user_data_destroyed == 0);
		}
		zwp_linux_buffer_params_v1_destroy(params);
		/* The server reads the wl_buffer's destroy (a server-made id: no event comes back). */
		wl_display_flush(client);
		wl_event_loop_dispatch(wl_display_get_event_loop(server), 0);
		/* The wl_buffer went, and the handle with it. */
		CHECK(user_data_destroyed == 1);
		close(stand_in);
		zwp_linux_dmabuf_v1_destroy(s.dmabuf);
		wl_display_flush(client);
		close(memfd);
	}
	wl_registry_destroy(registry);
	wl_display_disconnect(client);
	hbm_wl_compositor_dmabuf_destroy(dmabuf);
	hbm_wl_compositor_dmabuf_destroy(NULL);
	wl_display_destroy_clients(server);
	wl_display_destroy(server);
	hbm_participant_destroy(renderer);

	CHECK(open_fds() == fds_before);
	fprintf(stderr, "%d checks passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
