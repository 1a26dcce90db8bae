// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <type_traits>
#include <utility>

namespace hbm {

/// At most four of something, one per plane (DRM's limit, as KMS framebuffers, GBM and
/// V4L2's multi-planar formats have it), held inline: a buffer's plane tables cost no heap
/// allocation. The subset of std::vector hbm's plane tables use. Every place that takes a
/// plane count from outside (import, the wire, a backend) refuses more than four before
/// filling one; a fifth element is a bug in hbm and aborts, naming it.
template<typename T>
class PlaneArray
{
public:
	static constexpr size_t kCapacity = 4;

	PlaneArray() = default;
	PlaneArray(std::initializer_list<T> items)
	{
		for (const T &item : items)
			push_back(item);
	}
	/// @count copies of @value.
	PlaneArray(size_t count, const T &value) { assign(count, value); }
	// Trivial tables (layouts, sizes) copy as a block. Others (descriptors) copy or move
	// only their live elements, those past size() being always T{}: a buffer's tables are
	// moved several times on their way out of an allocator.
	static constexpr bool kTrivial = std::is_trivially_copyable_v<T>;
	PlaneArray(const PlaneArray &) requires kTrivial = default;
	PlaneArray(PlaneArray &&) requires kTrivial = default;
	PlaneArray &operator=(const PlaneArray &) requires kTrivial = default;
	PlaneArray &operator=(PlaneArray &&) requires kTrivial = default;
	PlaneArray(const PlaneArray &other) requires(!kTrivial) : size_(other.size_)
	{
		for (size_t i = 0; i < size_; ++i)
			items_[i] = other.items_[i];
	}
	PlaneArray(PlaneArray &&other) noexcept requires(!kTrivial) : size_(other.size_)
	{
		for (size_t i = 0; i < size_; ++i)
			items_[i] = std::move(other.items_[i]);
	}
	PlaneArray &operator=(const PlaneArray &other) requires(!kTrivial)
	{
		if (this != &other) {
			for (size_t i = 0; i < other.size_; ++i)
				items_[i] = other.items_[i];
			resize(other.size_);
		}
		return *this;
	}
	PlaneArray &operator=(PlaneArray &&other) noexcept requires(!kTrivial)
	{
		if (this != &other) {
			for (size_t i = 0; i < other.size_; ++i)
				items_[i] = std::move(other.items_[i]);
			resize(other.size_);
		}
		return *this;
	}

	size_t size() const { return size_; }
	bool empty() const { return size_ == 0; }
	static constexpr size_t capacity() { return kCapacity; }

	T &operator[](size_t i) { return items_[i]; }
	const T &operator[](size_t i) const { return items_[i]; }
	T &back() { return items_[size_ - 1]; }
	const T &back() const { return items_[size_ - 1]; }
	T &front() { return items_[0]; }
	const T &front() const { return items_[0]; }
	T *data() { return items_.data(); }
	const T *data() const { return items_.data(); }
	T *begin() { return items_.data(); }
	T *end() { return items_.data() + size_; }
	const T *begin() const { return items_.data(); }
	const T *end() const { return items_.data() + size_; }

	void push_back(const T &item) { items_[grow()] = item; }
	void push_back(T &&item) { items_[grow()] = std::move(item); }
	template<typename... Args>
	T &emplace_back(Args &&...args)
	{
		size_t i = grow();
		if constexpr (sizeof...(Args) != 0) // a slot past size() is already T{}
			items_[i] = T{std::forward<Args>(args)...};
		return items_[i];
	}
	/// Room is always there: kept so that code written for std::vector reads the same.
	void reserve(size_t) {}
	/// Grows with default values or drops the tail (releasing what it holds).
	void resize(size_t count)
	{
		check(count);
		for (size_t i = count; i < size_; ++i)
			items_[i] = T{};
		size_ = count;
	}
	void assign(size_t count, const T &value)
	{
		check(count);
		clear();
		for (size_t i = 0; i < count; ++i)
			items_[i] = value;
		size_ = count;
	}
	void clear() { resize(0); }

	bool operator==(const PlaneArray &other) const
	{
		if (size_ != other.size_)
			return false;
		for (size_t i = 0; i < size_; ++i)
			if (!(items_[i] == other.items_[i]))
				return false;
		return true;
	}

private:
	static void check(size_t count)
	{
		if (count > kCapacity) {
			std::fprintf(stderr, "hbm: bug: %zu planes in a table of at most %zu\n", count, kCapacity);
			std::abort();
		}
	}
	size_t grow()
	{
		check(size_ + 1);
		return size_++;
	}

	std::array<T, kCapacity> items_{};
	size_t size_ = 0;
};

} // namespace hbm
