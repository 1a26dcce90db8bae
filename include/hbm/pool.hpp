// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <hbm/buffer.hpp>
#include <hbm/export.h>
#include <hbm/negotiation.hpp>
#include <hbm/result.hpp>

namespace hbm {

class Context;

/// A buffer handed out by a BufferPool (wlroots' wlr_buffer_lock). The slot returns to the
/// pool when the lease is released or destroyed AND everything made from its buffer is
/// gone (CPU accesses, framebuffers, any shared_ptr to the buffer) AND no device holds it
/// (every fence on it has signalled). Move-only; not thread-safe (one owner at a time).
class HBM_EXPORT Lease
{
public:
	Lease() = default;
	Lease(Lease &&other) noexcept;
	Lease &operator=(Lease &&other) noexcept;
	Lease(const Lease &) = delete;
	Lease &operator=(const Lease &) = delete;
	/// Releases the lease if it is still held.
	~Lease();

	/// The leased buffer; null once released.
	const std::shared_ptr<Buffer> &buffer() const { return buffer_ ? *buffer_ : none(); }
	Buffer *operator->() const { return buffer().get(); }
	Buffer &operator*() const { return *buffer(); }
	explicit operator bool() const { return buffer_ != nullptr; }

	/// Gives the buffer back. EALREADY for a lease released before (or moved from); a
	/// lease that outlives its pool releases without error (its buffer is freed).
	Result<void> release();

private:
	friend class BufferPool;
	Lease(std::shared_ptr<void> slot, const std::shared_ptr<Buffer> *buffer);
	static const std::shared_ptr<Buffer> &none();
	/// The pool's slot (private to the library), held with the pool: a lease outliving its
	/// pool keeps its slot, and so its buffer, until released.
	std::shared_ptr<void> slot_;
	/// The slot's own reference to the buffer (the lease adds no count of its own); null
	/// once released.
	const std::shared_ptr<Buffer> *buffer_ = nullptr;
};

/// Recycles buffers of one plan (a swapchain): acquire() hands out a Lease. Thread-safe.
/// Destroying the pool with leases out is allowed: each leased buffer lives until its
/// lease goes. A pool is made from what a description holds — the request and the
/// participants — and negotiates its plan itself: every buffer it makes is checked
/// against them, and each carries them (Buffer::participants()).
class HBM_EXPORT BufferPool
{
public:
	/// A pool of at most @maxBuffers buffers of @request, for @participants: @context
	/// negotiates the plan now (a refusal is its Error::refusal), and buffers are made
	/// from it as they are needed.
	static Result<std::shared_ptr<BufferPool>> create(std::shared_ptr<Context> context, const Request &request,
							  const std::vector<Participant> &participants, size_t maxBuffers);
	~BufferPool();
	BufferPool(const BufferPool &) = delete;
	BufferPool &operator=(const BufferPool &) = delete;

	/// An idle buffer, or a new one while fewer than maxBuffers exist; refused (EBUSY),
	/// naming how many are leased, still referenced after their lease, and held by devices,
	/// when none is free (occupancy() gives those counts as data).
	Result<Lease> acquire();

	/// What the pool's buffers are doing now: the counts a refused acquire() names.
	struct Occupancy {
		size_t leased = 0;     ///< held by a lease
		size_t referenced = 0; ///< lease gone, but what was made from it (CPU access, framebuffer, copies) holds it
		size_t fenced = 0;     ///< held by a device (fences pending)
		size_t idle = 0;       ///< ready to be handed out
		bool operator==(const Occupancy &) const = default;
	};
	Occupancy occupancy() const;

	size_t size() const;   ///< buffers made so far
	size_t leased() const; ///< leases held
	const Plan &plan() const;

	struct State;

private:
	explicit BufferPool(std::shared_ptr<State> state);
	std::shared_ptr<State> state_;
};

} // namespace hbm
