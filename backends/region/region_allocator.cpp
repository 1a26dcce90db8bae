// SPDX-License-Identifier: MIT
#include "region_allocator.hpp"

#include <cerrno>
#include <mutex>

#include <drm_fourcc.h>

#include "backends/shared_memory.hpp"
#include "error.hpp"
#include "range_allocator.hpp"

namespace hbm::region {

struct RegionState {
	SharedFd memory;
	uint64_t size = 0;
	std::mutex mutex;
	std::unique_ptr<RangeAllocator> ranges;
};

namespace {

/// A buffer's hold on its range: released when the buffer's last user goes.
struct Reservation {
	Reservation(std::shared_ptr<RegionState> r, uint64_t o) : region(std::move(r)), offset(o) {}
	Reservation(const Reservation &) = delete; // one hold, released once
	Reservation &operator=(const Reservation &) = delete;
	std::shared_ptr<RegionState> region;
	uint64_t offset;
	~Reservation()
	{
		std::lock_guard lock(region->mutex);
		region->ranges->release(offset);
	}
};

} // namespace

Result<std::unique_ptr<RegionAllocator>> RegionAllocator::create(const std::string &name, SharedFd memory,
								 uint64_t size, const AllocatorInfo &heap,
								 const std::string &algorithm)
{
	auto state = std::make_shared<RegionState>();
	state->ranges = RangeAllocator::create(algorithm, size);
	if (!state->ranges)
		return makeError(EINVAL, "region %s: unknown algorithm '%s' (best-fit, first-fit)", name.c_str(),
				 algorithm.c_str());
	state->memory = std::move(memory);
	state->size = size;
	AllocatorInfo info;
	info.name = "region:" + name;
	info.kind = heap.kind;
	info.formats = linearFormats();
	info.contiguous = heap.contiguous;
	info.cached = heap.cached;
	info.deviceImportable = true;
	info.maxSize = size;
	info.memoryEnd = heap.memoryEnd;
	info.subAllocates = true;
	return std::unique_ptr<RegionAllocator>(new RegionAllocator(std::move(info), std::move(state)));
}

Result<std::unique_ptr<RegionAllocator>> RegionAllocator::carve(const std::string &name, Allocator &heap, uint64_t size,
								const std::string &algorithm)
{
	AllocationRequest request;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	request.width = 4096;
	request.height = uint32_t(size / 4096);
	request.format = DRM_FORMAT_R8;
	request.modifiers = std::span<const uint64_t>(&linear, 1);
	auto memory = heap.allocate(request);
	if (!memory)
		return memory.error();
	return create(name, memory->planeFds[0], size, heap.info(), algorithm);
}

RegionAllocator::RegionAllocator(AllocatorInfo info, std::shared_ptr<RegionState> state)
	: Allocator(std::move(info)), state_(std::move(state))
{
}

RegionAllocator::~RegionAllocator() = default;

uint64_t RegionAllocator::freeBytes() const
{
	std::lock_guard lock(state_->mutex);
	return state_->ranges->freeBytes();
}

uint64_t RegionAllocator::largestFree() const
{
	std::lock_guard lock(state_->mutex);
	return state_->ranges->largestFree();
}

Result<Allocation> RegionAllocator::doAllocate(const AllocationRequest &request)
{
	auto layout = linearLayout(request.format, request.width, request.height, request.linear);
	if (!layout)
		return layout.error();
	const uint64_t size = pageRound(layout->size);
	std::optional<uint64_t> offset;
	{
		std::lock_guard lock(state_->mutex);
		offset = state_->ranges->allocate(size, 4096);
		if (!offset)
			return makeError(ENOMEM, "%llu bytes do not fit: %llu of %llu bytes free, the largest free range %llu (%s)",
					 (unsigned long long)size, (unsigned long long)state_->ranges->freeBytes(),
					 (unsigned long long)state_->size, (unsigned long long)state_->ranges->largestFree(),
					 state_->ranges->name());
	}
	auto reservation = std::make_shared<Reservation>(state_, *offset);
	for (PlaneLayout &p : layout->planes)
		p.offset += *offset;
	Allocation a = singleFdAllocation(std::move(*layout), state_->memory, state_->size);
	a.keepAlive = std::move(reservation);
	return a;
}

} // namespace hbm::region
