// SPDX-License-Identifier: MIT
#include "registry.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <wayland-client-protocol.h>

namespace hbm::wayland::detail {

namespace {

struct Lookup {
	const char *interface;
	OfferedGlobal found;
};

void onGlobal(void *data, wl_registry *, uint32_t name, const char *interface, uint32_t version)
{
	auto *lookup = static_cast<Lookup *>(data);
	if (std::strcmp(interface, lookup->interface) == 0)
		lookup->found = OfferedGlobal{name, version};
}

void onGlobalRemove(void *, wl_registry *, uint32_t) {}

const wl_registry_listener kRegistryListener = {onGlobal, onGlobalRemove};

} // namespace

Result<void> roundtripQueue(wl_display *display, wl_event_queue *queue, const char *what)
{
	// A connection that already failed is not dispatched again: libwayland-client 1.21
	// spins in wl_display_dispatch_queue() (flush, poll for POLLOUT, flush …) when the
	// failure it keeps is EAGAIN, as after a request flood filled the socket.
	if (const int failed = wl_display_get_error(display))
		return Error{failed, std::string("the Wayland connection had failed before ") + what, nullptr};
	if (wl_display_roundtrip_queue(display, queue) < 0)
		return Error{wl_display_get_error(display) ? wl_display_get_error(display) : EPIPE,
			     std::string("the Wayland connection failed while ") + what, nullptr};
	return {};
}

Result<wl_proxy *> bindGlobal(wl_display *display, wl_event_queue *queue, const wl_interface *interface,
			      uint32_t minVersion, uint32_t maxVersion, uint32_t *version)
{
	auto *wrapper = static_cast<wl_display *>(wl_proxy_create_wrapper(display));
	if (!wrapper)
		return Error{ENOMEM, "cannot wrap the wl_display", nullptr};
	wl_proxy_set_queue(reinterpret_cast<wl_proxy *>(wrapper), queue);
	wl_registry *registry = wl_display_get_registry(wrapper);
	wl_proxy_wrapper_destroy(wrapper);
	Lookup lookup{interface->name, {}};
	wl_registry_add_listener(registry, &kRegistryListener, &lookup);
	auto listed = roundtripQueue(display, queue, "listing globals");
	Result<wl_proxy *> bound = nullptr;
	if (!listed)
		bound = listed.error();
	else if (!lookup.found.name)
		bound = Error{ENOENT, std::string("the compositor offers no ") + interface->name, nullptr};
	else if (lookup.found.version < minVersion)
		bound = Error{ENOENT,
			      std::string("the compositor offers ") + interface->name + " version " +
				      std::to_string(lookup.found.version) + " only; hbm needs " +
				      std::to_string(minVersion) + " or later",
			      nullptr};
	else {
		*version = std::min(lookup.found.version, maxVersion);
		bound = static_cast<wl_proxy *>(wl_registry_bind(registry, lookup.found.name, interface, *version));
	}
	wl_registry_destroy(registry);
	return bound;
}

} // namespace hbm::wayland::detail
