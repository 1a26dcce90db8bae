// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace hbm::region {

/// Hands out ranges of [0, size): the pluggable algorithm behind a region. Free ranges
/// are kept coalesced. Not thread-safe (the region locks).
class RangeAllocator
{
public:
	explicit RangeAllocator(uint64_t size);
	virtual ~RangeAllocator() = default;

	/// A range of @size bytes starting at a multiple of @alignment (a power of two).
	std::optional<uint64_t> allocate(uint64_t size, uint64_t alignment);
	/// Returns the range allocate() gave at @offset; false if there is none.
	bool release(uint64_t offset);

	uint64_t capacity() const { return capacity_; }
	uint64_t freeBytes() const { return freeBytes_; }
	uint64_t largestFree() const;
	size_t freeRanges() const { return free_.size(); }
	virtual const char *name() const = 0;

	/// "best-fit" or "first-fit"; nullptr for an unknown name.
	static std::unique_ptr<RangeAllocator> create(const std::string &algorithm, uint64_t size);

protected:
	/// The free range (offset, length) to carve from, or free_.end().
	virtual std::map<uint64_t, uint64_t>::iterator choose(uint64_t size, uint64_t alignment) = 0;
	static bool fits(uint64_t offset, uint64_t length, uint64_t size, uint64_t alignment);

	std::map<uint64_t, uint64_t> free_; ///< offset -> length, coalesced
	std::map<uint64_t, uint64_t> used_; ///< offset -> length

private:
	uint64_t capacity_;
	uint64_t freeBytes_;
};

/// Takes the smallest free range that fits: keeps large ranges whole.
class BestFit final : public RangeAllocator
{
public:
	using RangeAllocator::RangeAllocator;
	const char *name() const override { return "best-fit"; }

protected:
	std::map<uint64_t, uint64_t>::iterator choose(uint64_t size, uint64_t alignment) override;
};

/// Takes the lowest free range that fits: the classic, for comparison.
class FirstFit final : public RangeAllocator
{
public:
	using RangeAllocator::RangeAllocator;
	const char *name() const override { return "first-fit"; }

protected:
	std::map<uint64_t, uint64_t>::iterator choose(uint64_t size, uint64_t alignment) override;
};

} // namespace hbm::region
