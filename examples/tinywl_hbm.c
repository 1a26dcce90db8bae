/* SPDX-License-Identifier: MIT */
/* tinywl_hbm: a wlroots 0.15 compositor of tinywl's size whose output (and cursor)
 * swapchains come from hbm's allocator (libhbm-wlroots): every output buffer is negotiated
 * with the primary plane and the renderer before it is made. xdg-shell toplevels are shown
 * through wlroots' scene graph; there is no input handling.
 *
 *   tinywl_hbm [--allocator=hbm|wlroots] [--encode FILE [--encode-size WxH]]
 *              [--second-reader=FOURCC] [--frames N] [--warmup N] [-s COMMAND]
 *
 * --allocator=wlroots uses wlr_allocator_autocreate() instead, for comparison.
 * --encode FILE records the output: vicodec's FWHT encoder joins the output swapchain's
 * negotiation, and reads every frame the compositor commits straight from the swapchain
 * buffer (tinywl_encoder.c: no copy); the coded stream goes to FILE. --encode-size sets the
 * encoder for another size than the output's mode: with no scaler between them, hbm refuses
 * the output's buffers naming the encoder's queue.
 * --second-reader adds a device that must read every output buffer but takes only FOURCC:
 * hbm refuses the output's buffers naming it (logged through wlr_log). A reader that
 * refuses or fails (this one, or the encoder) is dropped and the compositor goes on.
 * -s runs COMMAND (sh -c) once the socket is up; the compositor exits when it exits.
 * --frames N exits after N output commits. At exit it prints the frames committed, how
 * many of their buffers were hbm's, the allocator's counts, and after the first --warmup
 * frames (10): the median cost of a frame (the scene rendered and committed) and how many
 * buffers the output took that it had not used before.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/render/allocator.h>
#include <wlr/render/egl.h>
#include <wlr/render/gles2.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include <hbm/hbm-egl.h>
#include <hbm/hbm-wlroots.h>
#include <hbm/hbm.h>

#include "tinywl_encoder.h"

/* Frame costs kept after warm-up, and buffers remembered to tell a new one. */
#define MAX_COSTS 4096
#define MAX_SEEN 16

struct server {
	struct wl_display *display;
	struct wlr_backend *backend;
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_output_layout *layout;
	struct wlr_scene *scene;
	struct wlr_xdg_shell *xdg_shell;
	struct wl_listener new_output;
	struct wl_listener new_xdg_surface;
	struct hbm_context *ctx;
	struct hbm_participant *renderer_participant;
	struct hbm_participant *second_reader; /* --second-reader, until it is dropped */
	const char *encode_path;
	uint32_t encode_width, encode_height; /* --encode-size; 0: the output's mode */
	struct tinywl_encoder *encoder; /* --encode, until it is dropped */
	struct tinywl_encoder_stats encoded;
	unsigned frames_wanted;
	unsigned frames;
	unsigned hbm_frames;
	unsigned not_encoded; /* committed buffers that were not hbm's (a client's, scanned out) */
	unsigned warmup;
	double cost_ms[MAX_COSTS];
	unsigned costs;
	const struct wlr_buffer *seen[MAX_SEEN];
	unsigned seen_count;
	unsigned new_after_warmup;
	pid_t child;
	int child_status; /* its exit status; 1 when it did not exit (a signal, or still running) */
};

struct output {
	struct server *server;
	struct wlr_output *wlr;
	struct wl_listener frame;
	struct wl_listener commit;
	struct wl_listener destroy;
};

static void log_from_hbm(enum hbm_log_level level, const char *category, const char *message, void *user_data)
{
	(void)user_data;
	wlr_log(level == HBM_LOG_ERROR ? WLR_ERROR : level == HBM_LOG_DEBUG ? WLR_DEBUG : WLR_INFO, "hbm %s: %s",
		category, message);
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* Stops handing output buffers to the extra readers (the second reader, the encoder): one
 * refused or failed. The compositor goes on without them, as it would stop recording. */
static void drop_readers(struct server *server, const char *why)
{
	wlr_log(WLR_ERROR, "tinywl_hbm: %s: %s%s%s; the compositor goes on", why,
		server->second_reader || server->encoder ? "dropping" : "no extra reader to drop",
		server->second_reader ? " the second reader" : "", server->encoder ? " the encoder" : "");
	if (hbm_wlr_allocator_is_hbm(server->allocator))
		hbm_wlr_allocator_clear_participants(server->allocator);
	if (server->encoder) {
		tinywl_encoder_get_stats(server->encoder, &server->encoded);
		tinywl_encoder_destroy(server->encoder);
		server->encoder = NULL;
	}
	hbm_participant_destroy(server->second_reader);
	server->second_reader = NULL;
}

static void output_frame(struct wl_listener *listener, void *data)
{
	(void)data;
	struct output *output = wl_container_of(listener, output, frame);
	struct server *server = output->server;
	struct wlr_scene_output *scene_output = wlr_scene_get_scene_output(server->scene, output->wlr);
	if (!scene_output)
		return;
	const unsigned frames = server->frames;
	struct timespec before, now;
	clock_gettime(CLOCK_MONOTONIC, &before);
	wlr_scene_output_commit(scene_output);
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* A frame's cost: the scene rendered into a swapchain buffer and committed (with
	 * --encode, its encoding too: the commit handler encodes). */
	if (server->frames > frames && frames >= server->warmup && server->costs < MAX_COSTS)
		server->cost_ms[server->costs++] = ms_between(&before, &now);
	wlr_scene_output_send_frame_done(scene_output, &now);
}

/* Remembers @buffer; after warm-up, counts it when the output had not used it before. */
static void note_buffer(struct server *server, const struct wlr_buffer *buffer)
{
	for (unsigned i = 0; i < server->seen_count; i++)
		if (server->seen[i] == buffer)
			return;
	if (server->frames > server->warmup)
		server->new_after_warmup++;
	if (server->seen_count < MAX_SEEN)
		server->seen[server->seen_count++] = buffer;
}

/* Counts committed frames and those whose buffer is hbm's. */
static void output_commit(struct wl_listener *listener, void *data)
{
	struct output *output = wl_container_of(listener, output, commit);
	struct wlr_output_event_commit *event = data;
	struct server *server = output->server;
	if (!(event->committed & WLR_OUTPUT_STATE_BUFFER))
		return;
	server->frames++;
	note_buffer(server, event->buffer);
	struct hbm_buffer *hbm = hbm_wlr_buffer_get_hbm_buffer(event->buffer);
	server->hbm_frames += hbm != NULL;
	if (server->encoder) {
		/* The buffer the plane now shows, read in place by the encoder. */
		struct wlr_dmabuf_attributes d;
		if (!hbm)
			server->not_encoded++;
		else if (!wlr_buffer_get_dmabuf(event->buffer, &d) || tinywl_encoder_encode(server->encoder, hbm, d.fd[0]) != 0)
			drop_readers(server, "encoding failed");
	}
	if (server->frames_wanted && server->frames >= server->frames_wanted)
		wl_display_terminate(server->display);
}

static void output_destroy(struct wl_listener *listener, void *data)
{
	(void)data;
	struct output *output = wl_container_of(listener, output, destroy);
	wl_list_remove(&output->frame.link);
	wl_list_remove(&output->commit.link);
	wl_list_remove(&output->destroy.link);
	free(output);
}

static void server_new_output(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, new_output);
	struct wlr_output *wlr_output = data;
	wlr_output_init_render(wlr_output, server->allocator, server->renderer);
	struct wlr_output_mode *mode = wl_list_empty(&wlr_output->modes) ? NULL : wlr_output_preferred_mode(wlr_output);
	if (mode)
		wlr_output_set_mode(wlr_output, mode);
	if (server->encode_path && !server->encoder && mode) {
		server->encoder = tinywl_encoder_open(server->encode_path,
						      server->encode_width ? server->encode_width : (uint32_t)mode->width,
						      server->encode_height ? server->encode_height : (uint32_t)mode->height);
		server->encode_path = NULL; /* one output is recorded */
		if (server->encoder &&
		    hbm_wlr_allocator_add_participant(server->allocator, tinywl_encoder_participant(server->encoder)) != 0)
			drop_readers(server, "the encoder cannot join the allocator");
	}
	wlr_output_enable(wlr_output, true);
	if (!wlr_output_commit(wlr_output)) {
		/* No buffer every reader can take (the refusal is in the log): go on without them. */
		char why[128];
		snprintf(why, sizeof(why), "the first commit of %s failed", wlr_output->name);
		drop_readers(server, why);
		if (!wlr_output_commit(wlr_output)) {
			wlr_log(WLR_ERROR, "tinywl_hbm: %s cannot be enabled", wlr_output->name);
			return;
		}
	}
	struct output *output = calloc(1, sizeof(*output));
	output->server = server;
	output->wlr = wlr_output;
	output->frame.notify = output_frame;
	wl_signal_add(&wlr_output->events.frame, &output->frame);
	output->commit.notify = output_commit;
	wl_signal_add(&wlr_output->events.commit, &output->commit);
	output->destroy.notify = output_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	wlr_output_layout_add_auto(server->layout, wlr_output);
}

static void server_new_xdg_surface(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, new_xdg_surface);
	struct wlr_xdg_surface *xdg_surface = data;
	if (xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL)
		return;
	struct wlr_scene_node *node = wlr_scene_xdg_surface_create(&server->scene->node, xdg_surface);
	xdg_surface->data = node;
}

static int compare_doubles(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int child_exited(int signal, void *data)
{
	(void)signal;
	struct server *server = data;
	int status;
	if (server->child > 0 && waitpid(server->child, &status, WNOHANG) == server->child) {
		wlr_log(WLR_INFO, "tinywl_hbm: the client exited (%d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		server->child_status = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		server->child = 0;
		wl_display_terminate(server->display);
	}
	return 0;
}

/* hbm's allocator: a context on the renderer's DRM device, the renderer as a participant. */
static struct wlr_allocator *hbm_allocator(struct server *server)
{
	const int drm_fd = wlr_backend_get_drm_fd(server->backend);
	const int render_fd = wlr_renderer_get_drm_fd(server->renderer);
	const int ctx_fd = render_fd >= 0 ? render_fd : drm_fd;
	if (ctx_fd < 0) {
		wlr_log(WLR_ERROR, "tinywl_hbm: no DRM device to allocate on");
		return NULL;
	}
	if (hbm_context_create_for_drm_fd(ctx_fd, 0, &server->ctx) != 0) {
		wlr_log(WLR_ERROR, "tinywl_hbm: %s", hbm_last_error());
		return NULL;
	}
	if (wlr_renderer_is_gles2(server->renderer)) {
		struct wlr_egl *egl = wlr_gles2_renderer_get_egl(server->renderer);
		struct hbm_egl_participant_options options = {.size = sizeof(options), .use = HBM_EGL_USE_RENDERING,
							       .context = server->ctx, .drm_fd = &ctx_fd};
		if (hbm_egl_participant_create_for_display(egl->display, &options, &server->renderer_participant) != 0)
			wlr_log(WLR_ERROR, "tinywl_hbm: the renderer as a participant: %s", hbm_last_error());
	}
	struct hbm_wlr_allocator_options options = {
		.size = sizeof(options),
		.ctx = server->ctx,
		.drm_fd = drm_fd,
		.renderer = server->renderer_participant,
	};
	struct wlr_allocator *allocator = NULL;
	if (hbm_wlr_allocator_create(&options, &allocator) != 0)
		return NULL;
	return allocator;
}

int main(int argc, char *argv[])
{
	struct server server = {.child_status = 1, .warmup = 10};
	const char *command = NULL;
	uint32_t second_reader = 0;
	int use_hbm = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--allocator=wlroots") == 0)
			use_hbm = 0;
		else if (strcmp(argv[i], "--allocator=hbm") == 0)
			use_hbm = 1;
		else if (strncmp(argv[i], "--second-reader=", 16) == 0 && strlen(argv[i]) == 20)
			second_reader = fourcc_code(argv[i][16], argv[i][17], argv[i][18], argv[i][19]);
		else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
			server.frames_wanted = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
			server.warmup = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--encode") == 0 && i + 1 < argc)
			server.encode_path = argv[++i];
		else if (strcmp(argv[i], "--encode-size") == 0 && i + 1 < argc &&
			 sscanf(argv[i + 1], "%ux%u", &server.encode_width, &server.encode_height) == 2 &&
			 server.encode_width && server.encode_height)
			i++;
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			command = argv[++i];
		else {
			fprintf(stderr,
				"usage: %s [--allocator=hbm|wlroots] [--encode FILE [--encode-size WxH]] [--second-reader=FOURCC] "
				"[--frames N] [--warmup N] [-s COMMAND]\n",
				argv[0]);
			return 64;
		}
	}
	if (server.encode_path && !use_hbm) {
		fprintf(stderr, "%s: --encode needs hbm's allocator: wlroots' allocators cannot make buffers the "
				"encoder reads in place\n",
			argv[0]);
		return 64;
	}
	/* SIGCHLD reaches the event loop's signalfd only if no thread takes it first: block it
	 * before Mesa starts its threads, which inherit the mask. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	wlr_log_init(WLR_INFO, NULL);
	hbm_set_log_handler(log_from_hbm, NULL);

	server.display = wl_display_create();
	server.backend = wlr_backend_autocreate(server.display);
	if (!server.backend)
		return 1;
	server.renderer = wlr_renderer_autocreate(server.backend);
	if (!server.renderer)
		return 1;
	wlr_renderer_init_wl_display(server.renderer, server.display);
	server.allocator = use_hbm ? hbm_allocator(&server) : wlr_allocator_autocreate(server.backend, server.renderer);
	if (!server.allocator) {
		wlr_log(WLR_ERROR, "tinywl_hbm: no allocator");
		return 1;
	}
	wlr_log(WLR_INFO, "tinywl_hbm: allocator %s", hbm_wlr_allocator_is_hbm(server.allocator) ? "hbm" : "wlroots");
	if (second_reader && hbm_wlr_allocator_is_hbm(server.allocator)) {
		const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
		if (hbm_participant_create_for_formats("second reader", &second_reader, &linear, 1, &server.second_reader) != 0 ||
		    hbm_wlr_allocator_add_participant(server.allocator, server.second_reader) != 0)
			wlr_log(WLR_ERROR, "tinywl_hbm: no second reader: %s", hbm_last_error());
	}

	wlr_compositor_create(server.display, server.renderer);
	wlr_data_device_manager_create(server.display);
	server.layout = wlr_output_layout_create();
	server.scene = wlr_scene_create();
	wlr_scene_attach_output_layout(server.scene, server.layout);
	server.new_output.notify = server_new_output;
	wl_signal_add(&server.backend->events.new_output, &server.new_output);
	server.xdg_shell = wlr_xdg_shell_create(server.display);
	server.new_xdg_surface.notify = server_new_xdg_surface;
	wl_signal_add(&server.xdg_shell->events.new_surface, &server.new_xdg_surface);

	const char *socket = wl_display_add_socket_auto(server.display);
	if (!socket || !wlr_backend_start(server.backend)) {
		wlr_log(WLR_ERROR, "tinywl_hbm: no socket or the backend did not start");
		return 1;
	}
	setenv("WAYLAND_DISPLAY", socket, 1);
	wlr_log(WLR_INFO, "tinywl_hbm: running on WAYLAND_DISPLAY=%s", socket);
	struct wl_event_source *sigchld =
		wl_event_loop_add_signal(wl_display_get_event_loop(server.display), SIGCHLD, child_exited, &server);
	if (command) {
		server.child = fork();
		if (server.child == 0) {
			sigprocmask(SIG_UNBLOCK, &chld, NULL);
			execl("/bin/sh", "/bin/sh", "-c", command, (char *)NULL);
			_exit(127);
		}
	}
	wl_display_run(server.display);

	struct hbm_wlr_allocator_stats stats = {.size = sizeof(stats)};
	if (hbm_wlr_allocator_get_stats(server.allocator, &stats) == 0)
		printf("tinywl_hbm: frames %u, of them on hbm buffers %u; allocator: %llu buffers created, %llu refused, "
		       "%u alive\n",
		       server.frames, server.hbm_frames, (unsigned long long)stats.buffers_created,
		       (unsigned long long)stats.buffers_refused, stats.buffers_alive);
	else
		printf("tinywl_hbm: frames %u (wlroots' allocator)\n", server.frames);
	if (server.encoder)
		tinywl_encoder_get_stats(server.encoder, &server.encoded);
	if (server.encoded.frames || server.encoder) {
		printf("tinywl_hbm: encoded %u frames (%llu bytes) read in place from %u dma-buf(s), inodes", server.encoded.frames,
		       server.encoded.bytes, server.encoded.inodes);
		for (unsigned i = 0; i < server.encoded.inodes && i < 8; i++)
			printf(" %lu", server.encoded.inode[i]);
		printf("; %u committed buffers not hbm's, not encoded\n", server.not_encoded);
	}
	qsort(server.cost_ms, server.costs, sizeof(double), compare_doubles);
	if (server.costs)
		printf("tinywl_hbm: after %u warm-up frames: %u frames, frame cost median %.3f ms, p90 %.3f ms; "
		       "buffers the output had not used before: %u\n",
		       server.warmup, server.costs, server.cost_ms[server.costs / 2], server.cost_ms[server.costs * 9 / 10],
		       server.new_after_warmup);
	fflush(stdout);
	if (server.child > 0) { /* --frames ended it first */
		kill(server.child, SIGTERM);
		waitpid(server.child, NULL, 0);
	}
	const int client_status = command ? server.child_status : 0;
	wl_event_source_remove(sigchld);
	wl_display_destroy_clients(server.display);
	wlr_allocator_destroy(server.allocator);
	wlr_renderer_destroy(server.renderer);
	wlr_backend_destroy(server.backend);
	wl_display_destroy(server.display);
	hbm_participant_destroy(server.renderer_participant);
	tinywl_encoder_destroy(server.encoder);
	hbm_participant_destroy(server.second_reader);
	hbm_context_destroy(server.ctx);
	hbm_set_log_handler(NULL, NULL);
	return client_status;
}
