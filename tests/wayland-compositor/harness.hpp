// SPDX-License-Identifier: MIT
// A real wl_display with hbm's linux-dmabuf global, served on a thread of the test process,
// and a raw client speaking the generated protocol to it over a socketpair: malformed
// requests are the point, so no helper library stands between the test and the wire.
#pragma once

#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <wayland-client.h>
#include <wayland-server.h>

#include <hbm/wayland/compositor.hpp>

#include "served_display.hpp"

#include "linux-dmabuf-unstable-v1-client-protocol.h"

namespace hbm::test {

/// The server side: a ServedDisplay (a wl_display with a minimal wl_compositor, on its own
/// thread) with hbm's zwp_linux_dmabuf_v1. Calls into the display go through run().
class Server
{
public:
	Server(wayland::LinuxDmabufOptions options, int clientFd)
	{
		options.bufferCreated = [this](const wayland::CreatedBuffer &b) {
			std::lock_guard lock(mutex_);
			created_.push_back({b.resource, b.buffer, b.flags});
		};
		auto dmabuf = wayland::LinuxDmabuf::create(served_.display(), std::move(options));
		if (!dmabuf) {
			ADD_FAILURE() << dmabuf.error().message;
			return;
		}
		dmabuf_ = std::move(*dmabuf);
		wl_client_create(served_.display(), clientFd);
		served_.start();
	}

	~Server()
	{
		served_.stop();
		dmabuf_.reset();
	}

	/// Runs @task on the display's thread and waits for it.
	void run(std::function<void()> task) { served_.run(std::move(task)); }

	wayland::LinuxDmabuf &dmabuf() { return *dmabuf_; }

	struct Created {
		wl_resource *resource;
		std::weak_ptr<Buffer> buffer;
		uint32_t flags;
	};
	std::vector<Created> created()
	{
		std::lock_guard lock(mutex_);
		return created_;
	}
	/// The wl_surface resources clients made, in order.
	std::vector<wl_resource *> surfaces() { return served_.surfaces(); }

private:
	ServedDisplay served_; // first: it outlives the global made on its display
	std::unique_ptr<wayland::LinuxDmabuf> dmabuf_;
	std::mutex mutex_;
	std::vector<Created> created_;
};

/// Feedback as a client parses it off the wire.
struct ParsedFeedback {
	std::vector<wayland::FormatTableEntry> table;
	dev_t mainDevice = 0;
	std::vector<wayland::FeedbackTranche> tranches;
	int dones = 0;
	uint64_t tableSeals = 0;
	wayland::FeedbackTranche pending;
};

/// The raw client: binds zwp_linux_dmabuf_v1 at @version and wl_compositor.
class Client
{
public:
	explicit Client(int fd, uint32_t version) : version_(version)
	{
		display_ = wl_display_connect_to_fd(fd);
		registry_ = wl_display_get_registry(display_);
		static const wl_registry_listener listener = {
			.global =
				[](void *data, wl_registry *registry, uint32_t name, const char *interface, uint32_t) {
					auto *self = static_cast<Client *>(data);
					if (std::string(interface) == zwp_linux_dmabuf_v1_interface.name)
						self->dmabuf_ = static_cast<zwp_linux_dmabuf_v1 *>(wl_registry_bind(
							registry, name, &zwp_linux_dmabuf_v1_interface, self->version_));
					if (std::string(interface) == wl_compositor_interface.name)
						self->compositor_ = static_cast<wl_compositor *>(
							wl_registry_bind(registry, name, &wl_compositor_interface, 4));
				},
			.global_remove = [](void *, wl_registry *, uint32_t) {},
		};
		wl_registry_add_listener(registry_, &listener, this);
		static const zwp_linux_dmabuf_v1_listener dmabufListener = {
			.format = [](void *data, zwp_linux_dmabuf_v1 *,
				     uint32_t format) { static_cast<Client *>(data)->formatEvents.push_back(format); },
			.modifier =
				[](void *data, zwp_linux_dmabuf_v1 *, uint32_t format, uint32_t hi, uint32_t lo) {
					static_cast<Client *>(data)->modifierEvents.push_back(
						{format, (uint64_t(hi) << 32) | lo});
				},
		};
		wl_display_roundtrip(display_);
		if (dmabuf_) {
			zwp_linux_dmabuf_v1_add_listener(dmabuf_, &dmabufListener, this);
			wl_display_roundtrip(display_);
		}
	}
	~Client()
	{
		// Proxies are the client's memory (disconnecting frees none); the server sees the
		// hangup.
		if (dmabuf_)
			zwp_linux_dmabuf_v1_destroy(dmabuf_);
		if (compositor_)
			wl_compositor_destroy(compositor_);
		wl_registry_destroy(registry_);
		wl_display_disconnect(display_);
	}

	wl_display *display() { return display_; }
	zwp_linux_dmabuf_v1 *dmabuf() { return dmabuf_; }
	wl_compositor *compositor() { return compositor_; }

	/// 0, or -1 when the connection died (a protocol error).
	int roundtrip() { return wl_display_roundtrip(display_) < 0 ? -1 : 0; }

	/// The protocol error that ended the connection: {interface name, code}, or nullopt.
	std::optional<std::pair<std::string, uint32_t>> protocolError()
	{
		if (wl_display_get_error(display_) != EPROTO)
			return std::nullopt;
		const wl_interface *interface = nullptr;
		uint32_t id = 0;
		const uint32_t code = wl_display_get_protocol_error(display_, &interface, &id);
		return std::make_pair(std::string(interface ? interface->name : "?"), code);
	}

	/// Listens to @feedback into @out.
	static void listen(zwp_linux_dmabuf_feedback_v1 *feedback, ParsedFeedback *out)
	{
		static const zwp_linux_dmabuf_feedback_v1_listener listener = {
			.done = [](void *data, zwp_linux_dmabuf_feedback_v1 *) { ++static_cast<ParsedFeedback *>(data)->dones; },
			.format_table =
				[](void *data, zwp_linux_dmabuf_feedback_v1 *, int32_t fd, uint32_t size) {
					auto *f = static_cast<ParsedFeedback *>(data);
					f->table.clear();
					f->tranches.clear();
					f->tableSeals = uint64_t(::fcntl(fd, F_GET_SEALS));
					void *map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
					if (map != MAP_FAILED) {
						struct Wire {
							uint32_t format, padding;
							uint64_t modifier;
						};
						auto *w = static_cast<const Wire *>(map);
						for (size_t i = 0; i < size / sizeof(Wire); ++i)
							f->table.push_back({w[i].format, w[i].modifier});
						::munmap(map, size);
					}
					::close(fd);
				},
			.main_device =
				[](void *data, zwp_linux_dmabuf_feedback_v1 *, wl_array *device) {
					auto *f = static_cast<ParsedFeedback *>(data);
					if (device->size == sizeof(dev_t))
						std::memcpy(&f->mainDevice, device->data, sizeof(dev_t));
				},
			.tranche_done =
				[](void *data, zwp_linux_dmabuf_feedback_v1 *) {
					auto *f = static_cast<ParsedFeedback *>(data);
					f->tranches.push_back(std::move(f->pending));
					f->pending = {};
				},
			.tranche_target_device =
				[](void *data, zwp_linux_dmabuf_feedback_v1 *, wl_array *device) {
					auto *f = static_cast<ParsedFeedback *>(data);
					if (device->size == sizeof(dev_t))
						std::memcpy(&f->pending.targetDevice, device->data, sizeof(dev_t));
				},
			.tranche_formats =
				[](void *data, zwp_linux_dmabuf_feedback_v1 *, wl_array *indices) {
					auto *f = static_cast<ParsedFeedback *>(data);
					const auto *i = static_cast<const uint16_t *>(indices->data);
					f->pending.indices.assign(i, i + indices->size / sizeof(uint16_t));
				},
			.tranche_flags =
				[](void *data, zwp_linux_dmabuf_feedback_v1 *, uint32_t flags) {
					static_cast<ParsedFeedback *>(data)->pending.scanout =
						flags & ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT;
				},
		};
		zwp_linux_dmabuf_feedback_v1_add_listener(feedback, &listener, out);
	}

	std::vector<uint32_t> formatEvents;
	std::vector<wayland::FormatTableEntry> modifierEvents;

private:
	uint32_t version_;
	wl_display *display_ = nullptr;
	wl_registry *registry_ = nullptr;
	zwp_linux_dmabuf_v1 *dmabuf_ = nullptr;
	wl_compositor *compositor_ = nullptr;
};

/// What libwayland-client logged since the last clear. A protocol error's message reaches
/// the client only there ("iface@id: error code: message"); wl_display_get_protocol_error()
/// returns the code alone. Lines are still printed, as the default handler does.
inline std::string &clientLog()
{
	static std::string log;
	return log;
}

__attribute__((format(printf, 1, 0))) inline void logClientLine(const char *format, va_list args)
{
	char line[1024];
	std::vsnprintf(line, sizeof(line), format, args);
	clientLog() += line;
	std::fputs(line, stderr);
}

/// Installs the capturing handler (once per process; clients log on the test's thread).
inline void captureClientLog()
{
	static const bool installed = (wl_log_set_handler_client(logClientLine), true);
	(void)installed;
}

/// The message of the last protocol error in clientLog(), or "".
inline std::string loggedProtocolErrorMessage()
{
	const std::string &log = clientLog();
	const size_t error = log.find(": error ");
	if (error == std::string::npos)
		return "";
	const size_t begin = log.find(": ", error + 1);
	if (begin == std::string::npos)
		return "";
	std::string message = log.substr(begin + 2);
	if (!message.empty() && message.back() == '\n')
		message.pop_back();
	return message;
}

/// A server and a connected client, made and torn down together.
struct Connection {
	Connection(wayland::LinuxDmabufOptions options, uint32_t version)
	{
		int fds[2];
		if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
			ADD_FAILURE() << "socketpair failed";
		server = std::make_unique<Server>(std::move(options), fds[0]);
		client = std::make_unique<Client>(fds[1], version);
	}
	~Connection()
	{
		client.reset();
		server.reset();
	}
	std::unique_ptr<Server> server;
	std::unique_ptr<Client> client;
};

// --- Requests as a raw client sends them ---------------------------------------

/// One plane as a client adds it.
struct Plane {
	int fd;
	uint32_t index;
	uint32_t offset;
	uint32_t stride;
	uint64_t modifier;
};

inline void add(zwp_linux_buffer_params_v1 *params, const Plane &p)
{
	zwp_linux_buffer_params_v1_add(params, p.fd, p.index, p.offset, p.stride, uint32_t(p.modifier >> 32),
				       uint32_t(p.modifier));
}

enum class How { Create, CreateImmed };

/// What the server answered.
struct Answer {
	bool created = false;     ///< `created` (create) or a live connection (create_immed)
	bool failed = false;      ///< `failed`
	std::optional<uint32_t> error; ///< a protocol error of zwp_linux_buffer_params_v1
	std::string errorInterface;
	std::string errorMessage; ///< the protocol error's message, as the client received it
};

struct Request {
	std::vector<Plane> planes;
	int32_t width = 64;
	int32_t height = 64;
	uint32_t format = DRM_FORMAT_XRGB8888;
	uint32_t flags = 0;
};

inline Answer send(Client &c, const Request &r, How how)
{
	Answer a;
	zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(c.dmabuf());
	static const zwp_linux_buffer_params_v1_listener listener = {
		.created =
			[](void *data, zwp_linux_buffer_params_v1 *, wl_buffer *buffer) {
				static_cast<Answer *>(data)->created = true;
				wl_buffer_destroy(buffer);
			},
		.failed = [](void *data, zwp_linux_buffer_params_v1 *) { static_cast<Answer *>(data)->failed = true; },
	};
	zwp_linux_buffer_params_v1_add_listener(params, &listener, &a);
	for (const Plane &p : r.planes)
		add(params, p);
	wl_buffer *immed = nullptr;
	if (how == How::Create)
		zwp_linux_buffer_params_v1_create(params, r.width, r.height, r.format, r.flags);
	else
		immed = zwp_linux_buffer_params_v1_create_immed(params, r.width, r.height, r.format, r.flags);
	captureClientLog();
	clientLog().clear();
	if (c.roundtrip() < 0) {
		auto e = c.protocolError();
		if (e) {
			a.errorInterface = e->first;
			a.error = e->second;
			a.errorMessage = loggedProtocolErrorMessage();
		}
		// The connection is dead: this only frees the proxies.
		if (immed)
			wl_buffer_destroy(immed);
		zwp_linux_buffer_params_v1_destroy(params);
		return a;
	}
	if (how == How::CreateImmed) {
		a.created = true;
		wl_buffer_destroy(immed);
	}
	zwp_linux_buffer_params_v1_destroy(params);
	EXPECT_EQ(c.roundtrip(), 0);
	return a;
}

} // namespace hbm::test
