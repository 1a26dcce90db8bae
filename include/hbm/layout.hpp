// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>

#include <hbm/export.h>
#include <hbm/plane_array.hpp>
#include <hbm/result.hpp>

namespace hbm {

struct PlaneLayout {
	uint64_t offset = 0; ///< from the start of the allocation
	uint32_t stride = 0; ///< bytes from one row to the next
	uint64_t size = 0;   ///< stride x rows of this plane
	bool operator==(const PlaneLayout &) const = default;
};

/// Where each plane of an image lives in one allocation.
struct Layout {
	uint32_t format = 0;
	uint64_t modifier = 0;
	uint32_t width = 0;
	uint32_t height = 0;
	PlaneArray<PlaneLayout> planes; ///< one to four, inline
	uint64_t size = 0;              ///< bytes to allocate (page-rounded)
	bool operator==(const Layout &) const = default;
};

/// Alignment a device asks of a linear layout. Every value must be a power of two.
struct LinearRules {
	uint32_t strideAlignment = 64;  ///< of plane 0's stride; other planes follow from it
	uint32_t offsetAlignment = 64;  ///< of each plane's offset
	uint32_t sizeAlignment = 4096;  ///< of the whole allocation
	/// A layout a device fixed (Constraints::fixedLayouts): linearLayout() returns it as
	/// it is for its format and size, instead of computing one.
	std::optional<Layout> fixed;
};

/// Maximum width or height hbm lays out (KMS and V4L2 use 16-bit sizes at most).
inline constexpr uint32_t kMaxDimension = 1u << 16;

/// The linear (DRM_FORMAT_MOD_LINEAR) layout of a @width x @height image of @fourcc,
/// planes packed one after another. Chroma strides follow plane 0 in the ratio V4L2 and
/// KMS expect (NV12: same stride; YUV420: half). Refuses unknown formats, zero or
/// oversized dimensions and layouts whose size overflows, naming the value at fault.
/// @rules.fixed, when it is for @fourcc at @width x @height, is the answer.
HBM_EXPORT Result<Layout> linearLayout(uint32_t fourcc, uint32_t width, uint32_t height,
				       const LinearRules &rules = {});

} // namespace hbm
