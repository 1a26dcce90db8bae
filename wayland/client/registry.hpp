// SPDX-License-Identifier: MIT
// Inside libhbm-wayland's client side only: finding a global and waiting on a private
// queue, shared by DmabufClient and AllocatorClient.
#pragma once

#include <cstdint>

#include <wayland-client-core.h>

#include <hbm/result.hpp>

struct wl_interface;

namespace hbm::wayland::detail {

/// wl_display_roundtrip_queue(), failing with the connection's error and @what it was doing.
Result<void> roundtripQueue(wl_display *display, wl_event_queue *queue, const char *what);

/// A global the compositor offers.
struct OfferedGlobal {
	uint32_t name = 0; ///< 0: not offered
	uint32_t version = 0;
};

/// Lists the globals on @queue and binds @interface at min(offered, @maxVersion), with
/// the new proxy on @queue. ENOENT (naming the interface) when it is not offered or only
/// below @minVersion.
Result<wl_proxy *> bindGlobal(wl_display *display, wl_event_queue *queue, const wl_interface *interface,
			      uint32_t minVersion, uint32_t maxVersion, uint32_t *version);

} // namespace hbm::wayland::detail
