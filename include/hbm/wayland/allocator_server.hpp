// SPDX-License-Identifier: MIT
#pragma once

// libhbm-wayland, compositor side: hbm_allocator_v1 (protocol/hbm-allocator-v1.xml), by
// which the compositor allocates buffers for clients that have no device access of their
// own. Each request is negotiated with the participants the compositor names for it (its
// renderer, the planes of an output) and allocated from the compositor's context; the
// answer is the buffers' dma-bufs and layout, or a refusal as data (hbm's reason and
// sentence). Per-client quotas bound what one client can hold; a malformed request is a
// protocol error for that client only.
//
// Thread-safety: everything here runs on the wl_display's thread, as libwayland-server does.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <hbm/context.hpp>
#include <hbm/export.h>
#include <hbm/negotiation.hpp>
#include <hbm/participant.hpp>
#include <hbm/result.hpp>
#include <hbm/wayland/allocator_protocol.hpp>

struct wl_client;
struct wl_display;
struct wl_resource;

namespace hbm::wayland {

/// What one client may hold at once through the allocator.
struct AllocatorQuota {
	uint32_t maxBuffers = 64;
	uint64_t maxBytes = 512ull << 20;
	/// Who set it, as refusals name it ("[hbm] max-buffers of weston.ini").
	std::string buffersSetBy = "the compositor's buffer quota per client";
	std::string bytesSetBy = "the compositor's memory quota per client";
};

/// One submitted request, as the compositor's participant callback sees it.
struct AllocationQuery {
	wl_client *client = nullptr;
	/// The wl_surface resource the client named with set_surface, or null.
	wl_resource *surface = nullptr;
	Request request; ///< usage in hbm::Usage bits (the protocol's usage enum)
	uint32_t count = 1;
	bool dryRun = false;
};

struct AllocatorServerOptions {
	/// The context buffers are negotiated and allocated in.
	std::shared_ptr<Context> context;
	/// The devices on the compositor's side that will touch the request's buffers: the
	/// renderer (always: it composites whatever is not on a plane), and the planes the
	/// buffer may be scanned out on when the usage asks for it. An error is sent to the
	/// client as the refusal.
	std::function<Result<std::vector<Participant>>(const AllocationQuery &)> participantsFor;
	AllocatorQuota quota;
	/// Formats the compositor's own zwp_linux_dmabuf_v1 takes only with
	/// DRM_FORMAT_MOD_INVALID, because its renderer lists no modifiers for them and reads
	/// their implicit layout as linear (Mesa's kms_swrast, say): a LINEAR buffer of one of
	/// them is announced as INVALID, the modifier the client must give linux-dmabuf for it.
	std::vector<uint32_t> implicitOnlyFormats;
};

/// What one client holds through the allocator.
struct AllocatorClientUsage {
	uint32_t buffers = 0;
	uint64_t bytes = 0;
};

/// The hbm_allocator_v1 global on @display. Destroying it removes the global; resources
/// clients still hold stay valid and are answered with a refusal, and the buffers they
/// hold are released with them (or with their client).
class HBM_EXPORT AllocatorServer
{
public:
	static Result<std::unique_ptr<AllocatorServer>> create(wl_display *display, AllocatorServerOptions options);
	~AllocatorServer();
	AllocatorServer(const AllocatorServer &) = delete;
	AllocatorServer &operator=(const AllocatorServer &) = delete;

	/// What @client holds now (zero for a client that never asked, or is gone).
	AllocatorClientUsage usageOf(wl_client *client) const;
	/// Buffers held by all clients together, and the clients holding any.
	AllocatorClientUsage totalUsage() const;
	/// Requests answered so far: with buffers (or a dry run's choice), and refused.
	uint64_t requestsServed() const;
	uint64_t requestsRefused() const;

	struct Core;

private:
	explicit AllocatorServer(wl_display *display, std::shared_ptr<Core> core);
	std::shared_ptr<Core> core_;
};

} // namespace hbm::wayland
