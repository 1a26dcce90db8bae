// SPDX-License-Identifier: MIT
#include "range_allocator.hpp"

#include <algorithm>

#include "base/power_of_two.hpp"

namespace hbm::region {

namespace {

/// @v rounded up to a multiple of @a (a power of two); nothing when that passes 2^64.
std::optional<uint64_t> alignUp(uint64_t v, uint64_t a)
{
	uint64_t up;
	if (__builtin_add_overflow(v, a - 1, &up))
		return std::nullopt;
	return up & ~(a - 1);
}

} // namespace

RangeAllocator::RangeAllocator(uint64_t size) : capacity_(size), freeBytes_(size)
{
	if (size)
		free_.emplace(0, size);
}

bool RangeAllocator::fits(uint64_t offset, uint64_t length, uint64_t size, uint64_t alignment)
{
	std::optional<uint64_t> start = alignUp(offset, alignment);
	return start && *start - offset <= length && length - (*start - offset) >= size;
}

std::optional<uint64_t> RangeAllocator::allocate(uint64_t size, uint64_t alignment)
{
	if (size == 0 || !powerOfTwo(alignment))
		return std::nullopt;
	auto it = choose(size, alignment);
	if (it == free_.end())
		return std::nullopt;
	const uint64_t offset = it->first, length = it->second;
	const uint64_t start = place(offset, length, size, alignment);
	free_.erase(it);
	// What the alignment skipped at the front, and the tail, stay free. Every range lies
	// inside [0, capacity): these sums cannot wrap.
	if (start > offset)
		free_.emplace(offset, start - offset);
	if (offset + length > start + size)
		free_.emplace(start + size, offset + length - (start + size));
	used_.emplace(start, size);
	freeBytes_ -= size;
	return start;
}

bool RangeAllocator::release(uint64_t offset)
{
	auto used = used_.find(offset);
	if (used == used_.end())
		return false;
	uint64_t start = offset, length = used->second;
	used_.erase(used);
	freeBytes_ += length;
	// Coalesce with the free neighbours on both sides.
	auto next = free_.lower_bound(start);
	if (next != free_.end() && start + length == next->first) {
		length += next->second;
		next = free_.erase(next);
	}
	if (next != free_.begin()) {
		auto prev = std::prev(next);
		if (prev->first + prev->second == start) {
			start = prev->first;
			length += prev->second;
			free_.erase(prev);
		}
	}
	free_.emplace(start, length);
	return true;
}

uint64_t RangeAllocator::largestFree() const
{
	uint64_t largest = 0;
	for (const auto &[offset, length] : free_)
		largest = std::max(largest, length);
	return largest;
}

uint64_t RangeAllocator::place(uint64_t offset, uint64_t, uint64_t, uint64_t alignment) const
{
	return *alignUp(offset, alignment); // choose() found it fits: the aligned start exists
}

uint64_t BestFit::place(uint64_t offset, uint64_t length, uint64_t size, uint64_t alignment) const
{
	const uint64_t end = offset + length; // inside [0, capacity): no wrap
	const bool interior = offset > 0 && end < capacity();
	// Centre in the upper half: 2 * offset + length > capacity, without overflow.
	bool top = offset > capacity() - end;
	const uint64_t remnant = length - size;
	if (interior && remnant && remnant < size / 2 + size % 2) // 2 * remnant < size
		top = !top;
	if (top) {
		const uint64_t start = (end - size) & ~(alignment - 1);
		if (start >= offset)
			return start;
	}
	return RangeAllocator::place(offset, length, size, alignment);
}

std::map<uint64_t, uint64_t>::iterator BestFit::choose(uint64_t size, uint64_t alignment)
{
	auto best = free_.end();
	for (auto it = free_.begin(); it != free_.end(); ++it)
		if (fits(it->first, it->second, size, alignment) && (best == free_.end() || it->second < best->second)) {
			best = it;
			if (best->second == size)
				break; // cannot do better than exact
		}
	return best;
}

std::map<uint64_t, uint64_t>::iterator FirstFit::choose(uint64_t size, uint64_t alignment)
{
	for (auto it = free_.begin(); it != free_.end(); ++it)
		if (fits(it->first, it->second, size, alignment))
			return it;
	return free_.end();
}

std::unique_ptr<RangeAllocator> RangeAllocator::create(const std::string &algorithm, uint64_t size)
{
	if (algorithm == "best-fit")
		return std::make_unique<BestFit>(size);
	if (algorithm == "first-fit")
		return std::make_unique<FirstFit>(size);
	return nullptr;
}

} // namespace hbm::region
