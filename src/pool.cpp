// SPDX-License-Identifier: MIT
#include <hbm/pool.hpp>

#include <cerrno>
#include <mutex>
#include <vector>

#include <hbm/context.hpp>

#include "error.hpp"
#include "log.hpp"

namespace hbm {

namespace {
LogCategory logPool("pool");
}

struct BufferPool::State {
	std::shared_ptr<Context> context;
	Plan plan;
	size_t maxBuffers = 0;
	mutable std::mutex mutex;
	struct Slot {
		std::shared_ptr<Buffer> buffer;
		bool leased = false;
	};
	std::vector<Slot> slots;
};

Result<std::shared_ptr<BufferPool>> BufferPool::create(std::shared_ptr<Context> context, const Plan &plan,
						       size_t maxBuffers)
{
	if (!context)
		return makeError(EINVAL, "a buffer pool needs a context");
	if (maxBuffers == 0)
		return makeError(EINVAL, "a buffer pool needs room for at least one buffer");
	auto state = std::make_shared<State>();
	state->context = std::move(context);
	state->plan = plan;
	state->maxBuffers = maxBuffers;
	return std::shared_ptr<BufferPool>(new BufferPool(std::move(state)));
}

BufferPool::BufferPool(std::shared_ptr<State> state) : state_(std::move(state)) {}

BufferPool::~BufferPool() = default;

Result<std::shared_ptr<Buffer>> BufferPool::acquire()
{
	std::unique_lock lock(state_->mutex);
	size_t busy = 0;
	size_t index = state_->slots.size();
	for (size_t i = 0; i < state_->slots.size() && index == state_->slots.size(); ++i) {
		State::Slot &slot = state_->slots[i];
		if (slot.leased)
			continue;
		// Returned by its user, but a device may still be reading or writing it.
		auto idle = slot.buffer->waitIdle(CpuAccessMode::Write, 0);
		if (idle && *idle)
			index = i;
		else
			++busy;
	}
	if (index == state_->slots.size()) {
		if (state_->slots.size() >= state_->maxBuffers) {
			size_t leased = state_->slots.size() - busy;
			return makeError(EBUSY, "all %zu buffers of the pool are in use: %zu leased, %zu still held by devices (fences pending)",
					 state_->slots.size(), leased, busy);
		}
		auto made = state_->context->allocate(state_->plan);
		if (!made)
			return withContext(made.error(), "growing the buffer pool");
		state_->slots.push_back({std::move(*made), false});
		HBM_LOG(logPool, Debug, "pool grew to %zu buffers", state_->slots.size());
	}
	State::Slot &slot = state_->slots[index];
	slot.leased = true;
	// The lease shares the buffer; its own control block returns the slot when it goes.
	std::weak_ptr<State> weak = state_;
	Buffer *raw = slot.buffer.get();
	std::shared_ptr<Buffer> keep = slot.buffer;
	return std::shared_ptr<Buffer>(raw, [weak, index, keep](Buffer *) {
		if (auto state = weak.lock()) {
			std::lock_guard guard(state->mutex);
			state->slots[index].leased = false;
		}
	});
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
	for (const State::Slot &slot : state_->slots)
		n += slot.leased;
	return n;
}

const Plan &BufferPool::plan() const
{
	return state_->plan;
}

} // namespace hbm
