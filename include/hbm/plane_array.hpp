// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <type_traits>
#include <utility>

namespace hbm {

/// At most four of something, one per plane (DRM's limit, as KMS framebuffers, GBM and
/// V4L2's multi-planar formats have it), held inline: a buffer's plane tables cost no heap
/// allocation. The subset of std::vector hbm's plane tables use. Every place that takes a
/// plane count from outside (import, the wire, a backend) refuses more than four before
/// filling one; a fifth element is a bug in hbm and aborts, naming it.
namespace detail {

/// Trivial tables (layouts, sizes): four slots in a union, of which only the live ones are
/// ever written, so an empty table costs nothing to make (a buffer's state holds several:
/// docs/performance.md, eighth round). A copy copies the union as a block, its object
/// representation (well-defined for a union, whatever the slots past size() hold), so the
/// table stays trivially copyable and destructible: a thread_local Layout needs no guard.
template<typename T, size_t N, bool Trivial = std::is_trivially_copyable_v<T> &&std::is_trivially_destructible_v<T>>
struct PlaneSlots {
	union Storage {
		struct Nothing {};
		constexpr Storage() : nothing() {} // a constant initializer, writing no element
		Nothing nothing;
		T items[N];
	} storage;
	size_t size = 0;

	T *slot(size_t i) { return &storage.items[i]; }
	const T *slot(size_t i) const { return &storage.items[i]; }
	template<typename... Args>
	void make(Args &&...args)
	{
		::new (static_cast<void *>(&storage.items[size])) T{std::forward<Args>(args)...};
		++size;
	}
	void drop() { --size; }
};

/// Other tables (descriptors, memories): only the live elements are constructed, so an
/// empty table costs nothing to make or destroy and a buffer's tables cost what they hold.
/// (The element lifetimes live here, not in PlaneArray: a constrained destructor there
/// would need C++20's conditionally trivial special members, which clang 14 lacks.)
template<typename T, size_t N>
struct PlaneSlots<T, N, false> {
	union Storage {
		Storage() {}
		~Storage() {}
		T items[N];
	} storage;
	size_t size = 0;

	PlaneSlots() = default;
	PlaneSlots(const PlaneSlots &other)
	{
		for (size_t i = 0; i < other.size; ++i)
			make(other.storage.items[i]);
	}
	PlaneSlots(PlaneSlots &&other) noexcept
	{
		for (size_t i = 0; i < other.size; ++i)
			make(std::move(other.storage.items[i]));
	}
	PlaneSlots &operator=(const PlaneSlots &other)
	{
		if (this != &other) {
			clear();
			for (size_t i = 0; i < other.size; ++i)
				make(other.storage.items[i]);
		}
		return *this;
	}
	PlaneSlots &operator=(PlaneSlots &&other) noexcept
	{
		if (this != &other) {
			clear();
			for (size_t i = 0; i < other.size; ++i)
				make(std::move(other.storage.items[i]));
		}
		return *this;
	}
	~PlaneSlots() { clear(); }

	T *slot(size_t i) { return &storage.items[i]; }
	const T *slot(size_t i) const { return &storage.items[i]; }
	template<typename... Args>
	void make(Args &&...args)
	{
		::new (static_cast<void *>(&storage.items[size])) T{std::forward<Args>(args)...};
		++size;
	}
	void drop() { storage.items[--size].~T(); }
	void clear()
	{
		while (size)
			drop();
	}
};

} // namespace detail

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
	// Copies, moves and destruction are the slots' own: a block for trivial tables, the
	// live elements only for the others.

	size_t size() const { return slots_.size; }
	bool empty() const { return slots_.size == 0; }
	static constexpr size_t capacity() { return kCapacity; }

	T &operator[](size_t i) { return *slots_.slot(i); }
	const T &operator[](size_t i) const { return *slots_.slot(i); }
	T &back() { return (*this)[size() - 1]; }
	const T &back() const { return (*this)[size() - 1]; }
	T &front() { return (*this)[0]; }
	const T &front() const { return (*this)[0]; }
	T *data() { return slots_.slot(0); }
	const T *data() const { return slots_.slot(0); }
	T *begin() { return data(); }
	T *end() { return data() + size(); }
	const T *begin() const { return data(); }
	const T *end() const { return data() + size(); }

	void push_back(const T &item) { emplace_back(item); }
	void push_back(T &&item) { emplace_back(std::move(item)); }
	template<typename... Args>
	T &emplace_back(Args &&...args)
	{
		check(size() + 1);
		slots_.make(std::forward<Args>(args)...);
		return back();
	}
	/// Room is always there: kept so that code written for std::vector reads the same.
	void reserve(size_t) {}
	/// Grows with default values or drops the tail (releasing what it holds).
	void resize(size_t count)
	{
		check(count);
		while (size() > count)
			slots_.drop();
		while (size() < count)
			slots_.make();
	}
	void assign(size_t count, const T &value)
	{
		check(count);
		clear();
		for (size_t i = 0; i < count; ++i)
			push_back(value);
	}
	void clear() { resize(0); }

	bool operator==(const PlaneArray &other) const
	{
		if (size() != other.size())
			return false;
		for (size_t i = 0; i < size(); ++i)
			if (!((*this)[i] == other[i]))
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

	detail::PlaneSlots<T, kCapacity> slots_;
};

} // namespace hbm
