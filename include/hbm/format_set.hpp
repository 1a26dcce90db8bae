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

	/// Adds a pair; returns false if it was already there.
	bool add(uint32_t format, uint64_t modifier);
	/// Removes a pair (and the format when its last modifier goes); false if absent.
	bool remove(uint32_t format, uint64_t modifier);

	bool contains(uint32_t format, uint64_t modifier) const;
	bool containsFormat(uint32_t format) const;
	/// Sorted modifiers of @format; empty if the format is absent.
	std::span<const uint64_t> modifiers(uint32_t format) const;

	std::vector<uint32_t> formats() const;
	std::span<const Entry> entries() const { return entries_; }
	size_t formatCount() const { return entries_.size(); }
	size_t pairCount() const;
	bool empty() const { return entries_.empty(); }

	/// Pairs present in both sets.
	FormatSet intersect(const FormatSet &other) const;
	/// Pairs present in either set.
	FormatSet unite(const FormatSet &other) const;

	/// "XRGB8888 (XR24): LINEAR, INVALID; NV12 (NV12): LINEAR".
	std::string toString() const;

	bool operator==(const FormatSet &) const = default;

private:
	std::vector<Entry> entries_; ///< sorted by format
};

} // namespace hbm
