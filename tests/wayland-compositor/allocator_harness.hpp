// SPDX-License-Identifier: MIT
// A compositor for hbm_allocator_v1's tests: a wl_display with a minimal wl_compositor
// (surfaces only) and AllocatorServer, dispatched on a thread of the test process; clients
// connect over socketpairs. Shared by the C++ tests and the C test's rig.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include <hbm/wayland/allocator_server.hpp>

#include "served_display.hpp"

namespace hbm::test {

/// A ServedDisplay (a wl_display with a minimal wl_compositor, on its own thread) with,
/// unless told otherwise, the allocator global.
class Compositor
{
public:
	explicit Compositor(std::optional<wayland::AllocatorServerOptions> options)
	{
		if (options) {
			auto server = wayland::AllocatorServer::create(served_.display(), std::move(*options));
			if (!server)
				error_ = server.error().message;
			else
				server_ = std::move(*server);
		}
		served_.start();
	}

	~Compositor()
	{
		served_.stop();
		server_.reset();
	}

	/// Why the allocator global could not be made ("" when it was, or was not asked for).
	const std::string &error() const { return error_; }

	/// A new client connection: the client's end of a socketpair.
	int connect() { return served_.connect(); }
	void run(std::function<void()> task) { served_.run(std::move(task)); }
	size_t clientCount() { return served_.clientCount(); }

	wayland::AllocatorClientUsage total()
	{
		wayland::AllocatorClientUsage u;
		run([&] { u = server_->totalUsage(); });
		return u;
	}
	std::pair<uint64_t, uint64_t> answered()
	{
		std::pair<uint64_t, uint64_t> n;
		run([&] { n = {server_->requestsServed(), server_->requestsRefused()}; });
		return n;
	}

private:
	ServedDisplay served_; // first: it outlives the global made on its display
	std::unique_ptr<wayland::AllocatorServer> server_;
	std::string error_;
};

} // namespace hbm::test
