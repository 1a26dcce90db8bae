// SPDX-License-Identifier: MIT
#include <hbm/pool.hpp>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <vector>

#include <hbm/context.hpp>

#include "context_private.hpp"
#include "pool_private.hpp"
#include "base/error.hpp"
#include "base/log.hpp"

namespace hbm {

namespace {
LogCategory logPool("pool");
}

struct BufferPool::State {
	Plan plan; ///< bound to its allocator: the pool needs no context after creation
	size_t maxBuffers = 0;
	mutable std::mutex mutex;
	struct Slot {
		std::shared_ptr<Buffer> buffer; ///< the pool's own reference
		/// Set under the mutex by acquire(); cleared by the lease's release() without it
		/// (the lease holds the slot itself, which never moves).
		std::atomic<bool> leased{false};
	};
	/// The list guarded by mutex; a lease shares its slot, so one outliving the pool keeps
	/// its buffer until released, and idle slots go with the pool.
	std::vector<std::shared_ptr<Slot>> slots;
};

Result<std::shared_ptr<BufferPool>> BufferPool::create(std::shared_ptr<Context> context, const Request &request,
						       const std::vector<Participant> &participants, size_t maxBuffers)
{
	if (!context)
		return makeError(EINVAL, "a buffer pool needs a context");
	if (maxBuffers == 0)
		return makeError(EINVAL, "a buffer pool needs room for at least one buffer");
	auto plan = context->negotiate(request, participants);
	if (!plan)
		return plan.error();
	auto state = std::make_shared<State>();
	state->plan = std::move(*plan);
	state->maxBuffers = maxBuffers;
	return std::shared_ptr<BufferPool>(new BufferPool(std::move(state)));
}

BufferPool::BufferPool(std::shared_ptr<State> state) : state_(std::move(state)) {}

BufferPool::~BufferPool() = default;

namespace {

/// Counts what @slots are doing; with @firstIdle, stops at the first idle one and sets it.
BufferPool::Occupancy occupancyOf(const std::vector<std::shared_ptr<BufferPool::State::Slot>> &slots, size_t *firstIdle)
{
	BufferPool::Occupancy seen;
	for (size_t i = 0; i < slots.size(); ++i) {
		const BufferPool::State::Slot &slot = *slots[i];
		if (slot.leased.load(std::memory_order_acquire)) {
			++seen.leased;
			continue;
		}
		// Its lease is gone, but a CPU access, a framebuffer or a copy of the buffer made
		// from the lease still uses it: only the pool's own reference may remain (a lease
		// adds none of its own). Nobody
		// can take a new reference but through the pool, so a count of one stays one.
		if (slot.buffer.use_count() > 1) {
			++seen.referenced;
			continue;
		}
		// A device may still be reading or writing it.
		auto idle = slot.buffer->waitIdle(CpuAccessMode::Write, 0);
		if (!idle || !*idle) {
			++seen.fenced;
			continue;
		}
		++seen.idle;
		if (firstIdle) {
			*firstIdle = i;
			break;
		}
	}
	return seen;
}

} // namespace

Error poolExhausted(size_t buffers, const BufferPool::Occupancy &o)
{
	return makeError(EBUSY,
			 "all %zu buffers of the pool are in use: %zu leased, %zu still referenced after their lease (CPU access, framebuffer, copies), %zu held by devices (fences pending)",
			 buffers, o.leased, o.referenced, o.fenced);
}

Result<Lease> BufferPool::acquire()
{
	std::unique_lock lock(state_->mutex);
	size_t index = state_->slots.size();
	const Occupancy seen = occupancyOf(state_->slots, &index);
	if (index == state_->slots.size()) {
		if (state_->slots.size() >= state_->maxBuffers)
			return poolExhausted(state_->slots.size(), seen);
		auto made = allocatePlan(state_->plan);
		if (!made)
			return withContext(made.error(), "growing the buffer pool");
		state_->slots.push_back(std::make_shared<State::Slot>());
		state_->slots.back()->buffer = std::move(*made);
		HBM_LOG(logPool, Debug, "pool grew to %zu buffers", state_->slots.size());
	}
	const std::shared_ptr<State::Slot> &slot = state_->slots[index];
	slot->leased.store(true, std::memory_order_relaxed);
	return Lease(slot, &slot->buffer);
}

BufferPool::Occupancy BufferPool::occupancy() const
{
	std::lock_guard lock(state_->mutex);
	return occupancyOf(state_->slots, nullptr);
}

size_t BufferPool::size() const
{
	std::lock_guard lock(state_->mutex);
	return state_->slots.size();
}

size_t BufferPool::leased() const
{
	std::lock_guard lock(state_->mutex);
	size_t n = 0;
	for (const auto &slot : state_->slots)
		n += slot->leased.load(std::memory_order_relaxed);
	return n;
}

const Plan &BufferPool::plan() const
{
	return state_->plan;
}

Lease::Lease(std::shared_ptr<void> slot, const std::shared_ptr<Buffer> *buffer)
	: slot_(std::move(slot)), buffer_(buffer)
{
}

const std::shared_ptr<Buffer> &Lease::none()
{
	static const std::shared_ptr<Buffer> empty;
	return empty;
}

Lease::Lease(Lease &&other) noexcept : slot_(std::move(other.slot_)), buffer_(other.buffer_)
{
	other.buffer_ = nullptr;
}

Lease &Lease::operator=(Lease &&other) noexcept
{
	if (this != &other) {
		if (buffer_)
			(void)release();
		slot_ = std::move(other.slot_);
		buffer_ = other.buffer_;
		other.buffer_ = nullptr;
	}
	return *this;
}

Lease::~Lease()
{
	if (buffer_) // a lease released already has nothing to give back (and no error to build)
		(void)release();
}

Result<void> Lease::release()
{
	if (!buffer_)
		return makeError(EALREADY, "this lease was released already");
	buffer_ = nullptr;
	// Free for the next acquire() (which still waits for every other reference and fence);
	// a slot whose pool is gone is freed with its buffer below.
	static_cast<BufferPool::State::Slot *>(slot_.get())->leased.store(false, std::memory_order_release);
	slot_.reset();
	return {};
}

} // namespace hbm
