// SPDX-License-Identifier: MIT
#include "region_allocator.hpp"

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <unistd.h>

#include "backends/shared_memory.hpp"
#include "base/error.hpp"
#include "range_allocator.hpp"
#include "base/string_format.hpp"

namespace hbm::region {

struct RegionState {
	SharedFd memory;
	uint64_t size = 0;
	std::mutex mutex;
	std::unique_ptr<RangeAllocator> ranges;
};

namespace {

/// A buffer's hold on its range at @offset of @object's region: released when the
/// buffer's last user goes (BackendHold keeps the region alive until then).
void releaseRange(void *object, uint64_t offset)
{
	auto *region = static_cast<RegionState *>(object);
	std::lock_guard lock(region->mutex);
	region->ranges->release(offset);
}

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
	// What the region believes it holds is what its dma-buf holds: no range past the end.
	const off_t real = ::lseek(memory.get(), 0, SEEK_END);
	if (real < 0 || uint64_t(real) != size)
		return makeError(EINVAL, "region %s: its dma-buf holds %lld bytes, not the %llu the region was carved as",
				 name.c_str(), (long long)real, (unsigned long long)size);
	state->memory = std::move(memory);
	state->size = size;
	AllocatorInfo info;
	info.name = "region:" + name;
	info.kind = heap.kind;
	info.formats = linearFormats();
	info.contiguous = heap.contiguous;
	info.cached = heap.cached;
	info.deviceImportable = heap.deviceImportable;
	info.maxSize = size;
	info.maxSizeReason = "the size of region " + name + " (configuration)";
	info.memoryCommit = MemoryCommit::Reserved; // carved at start
	info.memoryEnd = heap.memoryEnd;
	info.subAllocates = true;
	return std::unique_ptr<RegionAllocator>(new RegionAllocator(std::move(info), std::move(state)));
}

Result<std::unique_ptr<RegionAllocator>> RegionAllocator::carve(const std::string &name, Allocator &heap, uint64_t size,
								const std::string &algorithm)
{
	auto *bytes = dynamic_cast<ByteAllocator *>(&heap);
	if (!bytes)
		return makeError(ENOTSUP, "region %s: %s lays out images itself and gives no bytes to carve", name.c_str(),
				 heap.info().name.c_str());
	const uint64_t page = pageSize();
	if (size == 0 || size % page)
		return makeError(EINVAL, "region %s: size %llu is not a positive multiple of the %llu-byte page",
				 name.c_str(), (unsigned long long)size, (unsigned long long)page);
	// More than the heap, the RAM or what is available could give is refused by the seam's
	// memory budget, naming the limit, before the heap is asked.
	auto memory = bytes->allocateBytes({size, page});
	if (!memory)
		return withContext(memory.error(), "region " + name);
	if (memory->offset != 0)
		return makeError(EINVAL, "region %s: %s gave bytes at offset %llu of a larger dma-buf; a region needs its own",
				 name.c_str(), heap.info().name.c_str(), (unsigned long long)memory->offset);
	return create(name, std::move(memory->fd), size, heap.info(), algorithm);
}

RegionAllocator::RegionAllocator(AllocatorInfo info, std::shared_ptr<RegionState> state)
	: ByteAllocator(std::move(info)), state_(std::move(state))
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

Result<void> RegionAllocator::doAllocateBytes(const ByteRequest &request, Bytes &out)
{
	const uint64_t size = pageRound(request.size);
	std::optional<uint64_t> offset;
	{
		std::lock_guard lock(state_->mutex);
		offset = state_->ranges->allocate(size, std::max(request.alignment, pageSize()));
		if (!offset) {
			Rejection r;
			r.reason = RejectReason::OutOfMemory;
			r.allocator = info().name;
			r.value = size;
			r.limit = state_->ranges->largestFree();
			return refusalError(
				ENOMEM,
				Refusal{stringf("%llu bytes do not fit: %llu of %llu bytes free, the largest free range %llu (%s)",
						(unsigned long long)size, (unsigned long long)state_->ranges->freeBytes(),
						(unsigned long long)state_->size, (unsigned long long)r.limit,
						state_->ranges->name()),
					{r},
					"release buffers of " + info().name + ", ask for at most " + byteCount(r.limit) +
						", or configure a larger region"});
		}
	}
	out = Bytes{state_->memory, *offset, size, state_->size, BackendHold(state_, state_.get(), *offset, releaseRange)};
	return {};
}

} // namespace hbm::region
