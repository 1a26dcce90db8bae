// SPDX-License-Identifier: MIT
#include "scripted_server.hpp"

#include <cstring>
#include <future>

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wayland-client-core.h>
#include <wayland-server.h>

#include "linux-dmabuf-unstable-v1-server-protocol.h"

namespace hbm::test {

namespace {

struct Params {
	ScriptedServer *server;
	ReceivedBuffer received;
	std::vector<int> fds;
	~Params()
	{
		for (int fd : fds)
			close(fd);
	}
};

void destroyResource(wl_client *, wl_resource *resource)
{
	wl_resource_destroy(resource);
}

const struct wl_buffer_interface kBufferImpl = {destroyResource};

void bufferGone(wl_resource *resource)
{
	static_cast<ScriptedServer *>(wl_resource_get_user_data(resource))->live--;
}

void makeBuffer(ScriptedServer *server, wl_client *client, uint32_t id)
{
	wl_resource *buffer = wl_resource_create(client, &wl_buffer_interface, 1, id);
	wl_resource_set_implementation(buffer, &kBufferImpl, server, bufferGone);
	server->live++;
}

void paramsAdd(wl_client *, wl_resource *resource, int32_t fd, uint32_t plane, uint32_t offset, uint32_t stride,
	       uint32_t hi, uint32_t lo)
{
	auto *p = static_cast<Params *>(wl_resource_get_user_data(resource));
	p->fds.push_back(fd);
	p->received.planes.push_back({plane, offset, stride, (uint64_t(hi) << 32) | lo});
}

void record(Params *p, int32_t width, int32_t height, uint32_t format, uint32_t flags, bool immediate)
{
	p->received.width = width;
	p->received.height = height;
	p->received.format = format;
	p->received.flags = flags;
	p->received.immediate = immediate;
	p->server->buffers.push_back(p->received);
}

void paramsCreate(wl_client *client, wl_resource *resource, int32_t width, int32_t height, uint32_t format, uint32_t flags)
{
	auto *p = static_cast<Params *>(wl_resource_get_user_data(resource));
	record(p, width, height, format, flags, false);
	if (p->server->script.failCreate)
		return zwp_linux_buffer_params_v1_send_failed(resource);
	wl_resource *buffer = wl_resource_create(client, &wl_buffer_interface, 1, 0);
	wl_resource_set_implementation(buffer, &kBufferImpl, p->server, bufferGone);
	p->server->live++;
	zwp_linux_buffer_params_v1_send_created(resource, buffer);
}

void paramsCreateImmed(wl_client *client, wl_resource *resource, uint32_t id, int32_t width, int32_t height,
		       uint32_t format, uint32_t flags)
{
	auto *p = static_cast<Params *>(wl_resource_get_user_data(resource));
	record(p, width, height, format, flags, true);
	makeBuffer(p->server, client, id);
}

const struct zwp_linux_buffer_params_v1_interface kParamsImpl = {destroyResource, paramsAdd, paramsCreate,
								  paramsCreateImmed};

void paramsGone(wl_resource *resource)
{
	delete static_cast<Params *>(wl_resource_get_user_data(resource));
}

const struct zwp_linux_dmabuf_feedback_v1_interface kFeedbackImpl = {destroyResource};

void defaultFeedbackGone(wl_resource *resource)
{
	auto *server = static_cast<ScriptedServer *>(wl_resource_get_user_data(resource));
	std::erase(server->defaultFeedbacks, resource);
}

void dmabufCreateParams(wl_client *client, wl_resource *resource, uint32_t id)
{
	auto *server = static_cast<ScriptedServer *>(wl_resource_get_user_data(resource));
	wl_resource *params = wl_resource_create(client, &zwp_linux_buffer_params_v1_interface,
						 wl_resource_get_version(resource), id);
	wl_resource_set_implementation(params, &kParamsImpl, new Params{server, {}, {}}, paramsGone);
}

void dmabufGetDefaultFeedback(wl_client *client, wl_resource *resource, uint32_t id)
{
	auto *server = static_cast<ScriptedServer *>(wl_resource_get_user_data(resource));
	wl_resource *feedback = wl_resource_create(client, &zwp_linux_dmabuf_feedback_v1_interface, 4, id);
	wl_resource_set_implementation(feedback, &kFeedbackImpl, server, defaultFeedbackGone);
	server->defaultFeedbacks.push_back(feedback);
	ScriptedServer::sendFeedback(feedback, server->script.defaultFeedback);
}

void dmabufGetSurfaceFeedback(wl_client *client, wl_resource *resource, uint32_t id, wl_resource *)
{
	auto *server = static_cast<ScriptedServer *>(wl_resource_get_user_data(resource));
	wl_resource *feedback = wl_resource_create(client, &zwp_linux_dmabuf_feedback_v1_interface, 4, id);
	wl_resource_set_implementation(feedback, &kFeedbackImpl, server, nullptr);
	ScriptedServer::sendFeedback(feedback, server->script.surfaceFeedback);
}

const struct zwp_linux_dmabuf_v1_interface kDmabufImpl = {destroyResource, dmabufCreateParams,
							   dmabufGetDefaultFeedback, dmabufGetSurfaceFeedback};

void bindDmabuf(wl_client *client, void *data, uint32_t version, uint32_t id)
{
	auto *server = static_cast<ScriptedServer *>(data);
	wl_resource *resource = wl_resource_create(client, &zwp_linux_dmabuf_v1_interface, version, id);
	wl_resource_set_implementation(resource, &kDmabufImpl, server, nullptr);
	if (version < 4)
		for (const ScriptEntry &e : server->script.v3Pairs)
			zwp_linux_dmabuf_v1_send_modifier(resource, e.format, uint32_t(e.modifier >> 32),
							  uint32_t(e.modifier & 0xffffffff));
}

// wl_surface for get_surface_feedback: a compositor with nothing else.
const struct wl_surface_interface kSurfaceImpl = {.destroy = destroyResource};
void createSurface(wl_client *client, wl_resource *resource, uint32_t id)
{
	wl_resource *surface = wl_resource_create(client, &wl_surface_interface, wl_resource_get_version(resource), id);
	wl_resource_set_implementation(surface, &kSurfaceImpl, nullptr, nullptr);
}
const struct wl_compositor_interface kCompositorImpl = {createSurface, nullptr};
void bindCompositor(wl_client *client, void *, uint32_t version, uint32_t id)
{
	wl_resource *resource = wl_resource_create(client, &wl_compositor_interface, version, id);
	wl_resource_set_implementation(resource, &kCompositorImpl, nullptr, nullptr);
}

int onWake(int fd, uint32_t, void *data)
{
	uint64_t n;
	(void)!read(fd, &n, sizeof(n));
	(void)data;
	return 0;
}

} // namespace

void ScriptedServer::sendFeedback(wl_resource *resource, const ScriptedFeedback &f)
{
	if (f.sendTable) {
		size_t bytes = f.table.size() * 16;
		UniqueFd fd(memfd_create("scripted-format-table", MFD_CLOEXEC));
		std::vector<uint8_t> data(bytes);
		for (size_t i = 0; i < f.table.size(); ++i) {
			std::memcpy(&data[i * 16], &f.table[i].format, 4);
			std::memcpy(&data[i * 16 + 8], &f.table[i].modifier, 8);
		}
		(void)!write(fd.get(), data.data(), data.size());
		(void)!ftruncate(fd.get(), f.fileSize >= 0 ? f.fileSize : int64_t(bytes));
		// libwayland sends a duplicate; ours closes here.
		zwp_linux_dmabuf_feedback_v1_send_format_table(resource, fd.get(),
							       uint32_t(f.announcedSize >= 0 ? f.announcedSize : int64_t(bytes)));
	}
	if (f.sendMainDevice) {
		wl_array array;
		wl_array_init(&array);
		if (f.mainDeviceBytes.empty()) {
			std::memcpy(wl_array_add(&array, sizeof(dev_t)), &f.mainDevice, sizeof(dev_t));
		} else {
			std::memcpy(wl_array_add(&array, f.mainDeviceBytes.size()), f.mainDeviceBytes.data(),
				    f.mainDeviceBytes.size());
		}
		zwp_linux_dmabuf_feedback_v1_send_main_device(resource, &array);
		wl_array_release(&array);
	}
	for (const auto &t : f.tranches) {
		wl_array array;
		wl_array_init(&array);
		std::memcpy(wl_array_add(&array, sizeof(dev_t)), &t.target, sizeof(dev_t));
		zwp_linux_dmabuf_feedback_v1_send_tranche_target_device(resource, &array);
		wl_array_release(&array);
		wl_array_init(&array);
		if (!t.indices.empty())
			std::memcpy(wl_array_add(&array, t.indices.size() * 2), t.indices.data(), t.indices.size() * 2);
		zwp_linux_dmabuf_feedback_v1_send_tranche_formats(resource, &array);
		wl_array_release(&array);
		zwp_linux_dmabuf_feedback_v1_send_tranche_flags(resource, t.flags);
		zwp_linux_dmabuf_feedback_v1_send_tranche_done(resource);
	}
	zwp_linux_dmabuf_feedback_v1_send_done(resource);
}

ScriptedServer::ScriptedServer(ServerScript s) : script(std::move(s))
{
	server_ = wl_display_create();
	loop_ = wl_display_get_event_loop(server_);
	wakeFd_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	wake_ = wl_event_loop_add_fd(loop_, wakeFd_.get(), WL_EVENT_READABLE, onWake, this);
	if (script.version)
		wl_global_create(server_, &zwp_linux_dmabuf_v1_interface, int(script.version), this, bindDmabuf);
	wl_global_create(server_, &wl_compositor_interface, 4, this, bindCompositor);
}

wl_display *ScriptedServer::connect()
{
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
		return nullptr;
	wl_client_create(server_, fds[0]);
	thread_ = std::thread([this] { loop(); });
	return wl_display_connect_to_fd(fds[1]);
}

void ScriptedServer::loop()
{
	for (;;) {
		std::vector<std::function<void()>> tasks;
		{
			std::lock_guard lock(mutex_);
			if (stop_)
				break;
			tasks.swap(tasks_);
		}
		for (auto &t : tasks)
			t();
		wl_display_flush_clients(server_);
		wl_event_loop_dispatch(loop_, -1);
	}
}

void ScriptedServer::run(const std::function<void()> &task)
{
	std::promise<void> done;
	auto future = done.get_future();
	{
		std::lock_guard lock(mutex_);
		tasks_.push_back([&] {
			task();
			done.set_value();
		});
	}
	uint64_t one = 1;
	(void)!write(wakeFd_.get(), &one, sizeof(one));
	future.wait();
}

void ScriptedServer::resendDefault(const ScriptedFeedback &feedback)
{
	run([&] {
		script.defaultFeedback = feedback;
		for (wl_resource *r : defaultFeedbacks)
			sendFeedback(r, feedback);
	});
}

std::vector<ReceivedBuffer> ScriptedServer::received()
{
	std::vector<ReceivedBuffer> out;
	run([&] { out = buffers; });
	return out;
}

uint32_t ScriptedServer::liveBuffers()
{
	uint32_t n = 0;
	run([&] { n = live; });
	return n;
}

ScriptedServer::~ScriptedServer()
{
	if (thread_.joinable()) {
		{
			std::lock_guard lock(mutex_);
			stop_ = true;
		}
		uint64_t one = 1;
		(void)!write(wakeFd_.get(), &one, sizeof(one));
		thread_.join();
	}
	wl_display_destroy_clients(server_);
	wl_event_source_remove(wake_);
	wl_display_destroy(server_);
}

} // namespace hbm::test
