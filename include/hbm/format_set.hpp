// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include <hbm/export.h>

namespace hbm {

/// A set of (format, modifier) pairs, as a device advertises them (KMS IN_FORMATS,
/// EGL dma-buf queries, linux-dmabuf feedback). Formats and modifiers are kept sorted so
/// that two sets compare and intersect in linear time.
///
/// DRM_FORMAT_MOD_INVALID ("implicit modifier") is an ordinary member: it survives an
/// intersection only if both sides hold it, so an implicit layout is never chosen unless
/// every party allowed it.
///
/// Copies share their pairs until one of them changes (copy on write): a device's set
/// (hundreds of formats, each with its modifiers) travels in its Participant into every
/// plan negotiated for it, and costs a reference count there, not a copy. As with any value
/// type, different sets may be used from different threads at once, copies of one another
/// included, and one set may be read from several threads while none changes it.
class HBM_EXPORT FormatSet
{
public:
	struct Entry {
		uint32_t format;
		std::vector<uint64_t> modifiers; ///< sorted, unique
		bool operator==(const Entry &) const = default;
	};

	FormatSet() = default;
	/// Each of @formats with each of @modifiers.
	FormatSet(std::initializer_list<uint32_t> formats, std::initializer_list<uint64_t> modifiers);
	FormatSet(const FormatSet &other);
	FormatSet(FormatSet &&other) noexcept;
	FormatSet &operator=(const FormatSet &other);
	FormatSet &operator=(FormatSet &&other) noexcept;
	~FormatSet();

	/// Adds a pair; returns false if it was already there.
	bool add(uint32_t format, uint64_t modifier);
	/// Removes a pair (and the format when its last modifier goes); false if absent.
	bool remove(uint32_t format, uint64_t modifier);

	bool contains(uint32_t format, uint64_t modifier) const;
	bool containsFormat(uint32_t format) const;
	/// Sorted modifiers of @format; empty if the format is absent.
	std::span<const uint64_t> modifiers(uint32_t format) const;

	std::vector<uint32_t> formats() const;
	std::span<const Entry> entries() const { return list(); }
	size_t formatCount() const { return list().size(); }
	size_t pairCount() const;
	bool empty() const { return list().empty(); }

	/// Pairs present in both sets.
	FormatSet intersect(const FormatSet &other) const;
	/// Pairs present in either set.
	FormatSet unite(const FormatSet &other) const;

	/// "XRGB8888 (XR24): LINEAR, INVALID; NV12 (NV12): LINEAR".
	std::string toString() const;

	bool operator==(const FormatSet &other) const { return list() == other.list(); }

private:
	/// The pairs and the count of sets sharing them (src/format_set.cpp).
	struct Pairs;
	const std::vector<Entry> &list() const;
	/// Whether another set shares this one's pairs (read acquire: see src/format_set.cpp).
	bool shared() const;
	/// The pairs, this set's own to change: copied first while another set shares them.
	std::vector<Entry> &ownList();
	/// Gives up this set's share of its pairs; the last set sharing them frees them.
	void release();
	/// A set made of @entries (sorted by format).
	static FormatSet of(std::vector<Entry> entries);

	Pairs *pairs_ = nullptr; ///< null when empty
};

} // namespace hbm
