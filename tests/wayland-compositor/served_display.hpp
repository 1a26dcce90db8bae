// SPDX-License-Identifier: MIT
// A wl_display served on its own thread of the test process, with a minimal wl_compositor
// (surfaces only, recorded): what both compositor-side harnesses stand on (harness.hpp for
// linux-dmabuf, allocator_harness.hpp for hbm_allocator_v1). Calls into the display go
// through run(), which executes on the display's thread.
#pragma once

#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wayland-server.h>

namespace hbm::test {

class ServedDisplay
{
public:
	ServedDisplay()
	{
		display_ = wl_display_create();
		wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		wake_ = wl_event_loop_add_fd(wl_display_get_event_loop(display_), wakeFd_, WL_EVENT_READABLE,
				     [](int fd, uint32_t, void *data) {
					     uint64_t n;
					     (void)!::read(fd, &n, sizeof(n));
					     static_cast<ServedDisplay *>(data)->runTasks();
					     return 0;
				     },
				     this);
		compositor_ = wl_global_create(display_, &wl_compositor_interface, 4, this, bindCompositor);
	}

	/// Call stop() first: globals that live on the display go before it.
	~ServedDisplay()
	{
		stop();
		// The loop dups the fd of a source and keeps it until the source is removed.
		wl_event_source_remove(wake_);
		wl_display_destroy_clients(display_);
		wl_global_destroy(compositor_);
		wl_display_destroy(display_);
		::close(wakeFd_);
	}

	ServedDisplay(const ServedDisplay &) = delete;
	ServedDisplay &operator=(const ServedDisplay &) = delete;

	wl_display *display() { return display_; }

	/// Starts dispatching on the display's thread.
	void start()
	{
		thread_ = std::thread([this] { wl_display_run(display_); });
	}
	/// Stops dispatching (idempotent).
	void stop()
	{
		if (!thread_.joinable())
			return;
		run([this] { wl_display_terminate(display_); });
		thread_.join();
	}

	/// Runs @task on the display's thread and waits for it.
	void run(std::function<void()> task)
	{
		std::packaged_task<void()> packaged(std::move(task));
		auto done = packaged.get_future();
		{
			std::lock_guard lock(mutex_);
			tasks_.push_back(std::move(packaged));
		}
		const uint64_t one = 1;
		(void)!::write(wakeFd_, &one, sizeof(one));
		done.wait();
	}

	/// A new client on the display: the client's end of a socketpair (-1 on failure).
	int connect()
	{
		int fds[2];
		if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
			return -1;
		run([&] { wl_client_create(display_, fds[0]); });
		return fds[1];
	}

	/// The wl_surface resources clients made, in order.
	std::vector<wl_resource *> surfaces()
	{
		std::lock_guard lock(mutex_);
		return surfaces_;
	}

	/// Clients connected now.
	size_t clientCount()
	{
		size_t n = 0;
		run([&] {
			wl_client *c;
			wl_client_for_each(c, wl_display_get_client_list(display_)) ++n;
		});
		return n;
	}

private:
	void runTasks()
	{
		std::vector<std::packaged_task<void()>> tasks;
		{
			std::lock_guard lock(mutex_);
			tasks.swap(tasks_);
		}
		for (auto &t : tasks)
			t();
	}

	static void bindCompositor(wl_client *client, void *data, uint32_t version, uint32_t id)
	{
		static const struct wl_compositor_interface impl = {
			.create_surface =
				[](wl_client *c, wl_resource *r, uint32_t surfaceId) {
					auto *self = static_cast<ServedDisplay *>(wl_resource_get_user_data(r));
					wl_resource *s = wl_resource_create(c, &wl_surface_interface,
									    wl_resource_get_version(r), surfaceId);
					static const struct wl_surface_interface surfaceImpl = {
						.destroy = [](wl_client *, wl_resource *res) { wl_resource_destroy(res); },
					};
					wl_resource_set_implementation(s, &surfaceImpl, nullptr, nullptr);
					std::lock_guard lock(self->mutex_);
					self->surfaces_.push_back(s);
				},
			.create_region = nullptr,
		};
		wl_resource *r = wl_resource_create(client, &wl_compositor_interface, int(version), id);
		wl_resource_set_implementation(r, &impl, data, nullptr);
	}

	wl_display *display_ = nullptr;
	wl_global *compositor_ = nullptr;
	int wakeFd_ = -1;
	wl_event_source *wake_ = nullptr;
	std::thread thread_;
	std::mutex mutex_;
	std::vector<std::packaged_task<void()>> tasks_;
	std::vector<wl_resource *> surfaces_;
};

} // namespace hbm::test
