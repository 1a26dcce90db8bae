// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hbm/export.h>
#include <hbm/participant.hpp>

namespace hbm {

/// Why a candidate (a format, an allocator, an existing buffer) was refused. Values are
/// part of the C ABI (enum hbm_reason): append only.
enum class RejectReason : uint32_t {
	None = 0,
	InvalidConstraint = 1,   ///< a participant's alignment is malformed (value; plane 0: stride, 1: offset)
	/// The request itself: value width << 32 | height with limit kMaxDimension (a size 0 or
	/// too big); format (an unknown one); value its usage, limit the usage bits hbm knows;
	/// or nothing else (no format).
	InvalidRequest = 2,
	FormatNotTaken = 3,      ///< a participant does not take the format
	NoCommonModifier = 4,    ///< everyone takes the format, but no modifier in common
	ModifierNotMade = 5,     ///< the allocator cannot make any modifier the participants take
	CpuOnly = 6,             ///< memory no device can import (memfd)
	AllocatorNotAllowed = 7, ///< outside the allocators a participant allows
	NotDeviceLocal = 8,      ///< a participant uses only memory of its own device (limit: dev_t)
	NotAtStart = 9,          ///< plane 0 not at offset 0 (value), a participant needs it
	NotContiguous = 10,      ///< scattered (or unknown) pages, contiguous needed
	CachingMismatch = 11,    ///< cached vs uncached (value, limit: 1 cached, 0 uncached)
	AddressLimit = 12,       ///< memory may lie above what a participant reaches (value, limit)
	WidthLimit = 13,         ///< width (value) above a participant's maximum (limit)
	HeightLimit = 14,
	StrideLimit = 15,
	StrideAlignment = 16,    ///< stride (value) not a multiple of the alignment (limit)
	OffsetAlignment = 17,
	SizeLimit = 18,          ///< bytes (value) above the allocator's largest (limit)
	LayoutImpossible = 19,   ///< the layout's arithmetic overflows
	CachingConflict = 20,    ///< participants contradict: one needs cached, one uncached
	AllocatorsConflict = 21, ///< participants' allowed allocators are disjoint
	DevicesConflict = 22,    ///< participants each need memory of a different device
	StorageExists = 23,      ///< the buffer has storage: constraints cannot be relaxed
	NotAttached = 24,        ///< the participant is not attached
	NoDmaBufMemory = 25,     ///< this machine offers no device-importable memory at all
	OutOfMemory = 26,        ///< too little memory (value: bytes asked, limit: bytes it can give now)
	// A participant fixed the format's layout (Constraints::fixedLayouts; a V4L2 driver):
	FixedSize = 27,          ///< another image size (value, limit: width << 32 | height)
	FixedStride = 28,        ///< plane's stride (value) is not the fixed one (limit)
	FixedOffset = 29,        ///< plane's offset (value) is not the fixed one (limit)
	FixedTooSmall = 30,      ///< fewer bytes (value) than the device writes (limit: sizeimage)
	LayoutsConflict = 31,    ///< participants fix different layouts for one format
	/// Over a quota someone set for the asker (a compositor's for one client): value what it
	/// would hold with this request, limit the quota; plane 0 counts buffers, 1 bytes.
	QuotaExceeded = 32,
};

/// A short stable name: "format-not-taken", "not-contiguous" …
HBM_EXPORT const char *rejectReasonName(RejectReason reason);

/// One refused candidate, as data: the sentence users read is rendered from it.
struct Rejection {
	RejectReason reason = RejectReason::None;
	std::string allocator;  ///< the candidate allocator ("" when not about one)
	uint32_t format = 0;    ///< the candidate format (0 when not about one)
	uint64_t modifier = 0;  ///< with hasModifier
	bool hasModifier = false;
	uint32_t plane = 0;     ///< for per-plane reasons
	/// The participants that set the limit.
	std::vector<ParticipantIdentity> setBy;
	uint64_t value = 0;     ///< what the candidate has (see RejectReason)
	uint64_t limit = 0;     ///< what the participants allow

	/// What was refused: "dma-heap:system for XRGB8888 (XR24)"; "" when the rejection is
	/// not about a candidate (a participant's own limit).
	HBM_EXPORT std::string subject() const;
	/// Why, as a sentence fragment: "scattered pages, but panel (declared) needs physically
	/// contiguous memory".
	HBM_EXPORT std::string why() const;
	bool operator==(const Rejection &) const = default;
};

/// Why no plan (or no use of a buffer) exists: every candidate's rejection and the fix.
struct Refusal {
	std::string subject;              ///< "1920x1080", "attaching vkms cursor plane 41 (226:1)"
	std::vector<Rejection> rejections; ///< in the order tried
	std::string fix;                  ///< what would satisfy it, true for this machine ("" none)

	/// The reason of the first rejection that is not about a format or allocator the caller
	/// could simply avoid: what a caller switches on.
	HBM_EXPORT RejectReason reason() const;
	/// "no plan for 1920x1080: a, b: why; c: why; to fix: …" — same reasons grouped.
	HBM_EXPORT std::string toString() const;
};

} // namespace hbm
