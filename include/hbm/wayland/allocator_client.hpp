// SPDX-License-Identifier: MIT
#pragma once

// libhbm-wayland, client side of hbm_allocator_v1 (protocol/hbm-allocator-v1.xml): buffers
// the compositor allocates for a client that needs no device access of its own. Each
// answer's descriptors are imported as any foreign buffer is (Buffer::import(): proven
// dma-bufs, planes inside them); make their wl_buffers with DmabufClient::wlBuffer(), which
// goes through the compositor's own linux-dmabuf, the only kind its renderer accepts.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <hbm/buffer.hpp>
#include <hbm/export.h>
#include <hbm/negotiation.hpp>
#include <hbm/result.hpp>
#include <hbm/wayland/allocator_protocol.hpp>

struct wl_display;
struct wl_surface;

namespace hbm::wayland {

/// What the compositor chose for a request.
struct AllocatorChoice {
	uint32_t format = 0;
	uint64_t modifier = 0;
	std::string allocator; ///< "dumb:vkms", "dma-heap:system" …
};

struct AllocatorAnswer {
	AllocatorChoice choice;
	std::vector<std::shared_ptr<Buffer>> buffers; ///< none for a dry run
};

/// The client side of hbm_allocator_v1 on one wl_display. Not thread-safe: use it from one
/// thread. Its requests run on a private queue, so the caller's queues are not dispatched.
class HBM_EXPORT AllocatorClient
{
public:
	struct Options {
		uint32_t count = 1;            ///< all or nothing, at most kAllocatorMaxCount (16)
		wl_surface *surface = nullptr; ///< the surface the buffers are for, if any
		bool dryRun = false;           ///< only say what would be chosen
	};

	/// Binds hbm_allocator_v1 (a roundtrip on a private queue). ENOENT when the compositor
	/// offers none.
	static Result<std::unique_ptr<AllocatorClient>> create(wl_display *display);
	~AllocatorClient();
	AllocatorClient(const AllocatorClient &) = delete;
	AllocatorClient &operator=(const AllocatorClient &) = delete;

	/// Asks the compositor for buffers of @request (its width, height, formats in order
	/// and hbm::Usage bits; its kind is not sent) and waits for the answer. A refusal is
	/// an Error with the compositor's sentence and its reason (Error::refusal): EDQUOT over
	/// the client's quota, ENOMEM out of memory, ENOTSUP when no layout fits. A request
	/// outside the protocol's bounds is refused here (EINVAL), before the compositor would
	/// disconnect the client for it.
	Result<AllocatorAnswer> allocate(const Request &request, const Options &options);
	Result<AllocatorAnswer> allocate(const Request &request);

	/// Buffers received whose compositor-side object is still held: the compositor's
	/// count against this client's quota. A buffer's object is released at a later call
	/// once nothing but this client holds the Buffer.
	size_t held() const;

	struct Private;

private:
	explicit AllocatorClient(std::unique_ptr<Private> d);
	std::unique_ptr<Private> d_;
};

} // namespace hbm::wayland
