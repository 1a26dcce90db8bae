// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <hbm/export.h>
#include <hbm/format_set.hpp>
#include <hbm/layout.hpp>

namespace hbm {

/// Where memory may come from. Combines by the stricter of each field.
struct Placement {
	/// Physically contiguous memory: a device without an IOMMU (VCM) needs it.
	bool contiguous = false;
	/// Highest physical address the device can reach, exclusive (1 << 32 for 32-bit DMA);
	/// 0: no limit.
	uint64_t addressLimit = 0;
	/// Cached CPU mappings required (true) or forbidden (false); unset: either.
	std::optional<bool> cached;
	/// Allocator names allowed; empty: any.
	std::vector<std::string> allowedAllocators;
	/// The device can use only memory made by the DRM device with this number (st_rdev of
	/// its node): dumb or GBM buffers of that device. Mesa's kms_swrast renderer samples
	/// only its own device's dumb buffers (it maps them with MODE_MAP_DUMB, which the
	/// kernel refuses for imported objects). 0: any dma-buf will do.
	dev_t localTo = 0;

	bool operator==(const Placement &) const = default;
};

/// What one device demands of a buffer for one use.
struct Constraints {
	FormatSet formats;            ///< (format, modifier) pairs it accepts
	uint32_t strideAlignment = 1; ///< of every plane's stride, a power of two; combined by LCM
	uint32_t offsetAlignment = 1; ///< of every plane's offset, a power of two; combined by LCM
	uint32_t maxWidth = 0;        ///< 0: no limit; combined by min
	uint32_t maxHeight = 0;
	uint32_t maxStride = 0;
	/// The device reads a buffer only from the start of its dma-buf: plane 0 must be at
	/// offset 0 (vkms on 6.12 adds framebuffer offsets twice).
	bool planesAtStart = false;
	/// Layouts the device decides itself, at most one per format: a V4L2 driver's
	/// bytesperline and sizeimage (VIDIOC_TRY_FMT) at one size, when it will not take a
	/// stride of the caller's. A buffer of such a format must be that size, with the same
	/// plane offsets and strides, and at least as large; other formats are unaffected.
	std::vector<Layout> fixedLayouts;
	Placement placement;

	bool operator==(const Constraints &) const = default;
};

/// The largest alignment a participant may ask for: anything above is taken for a mistake.
inline constexpr uint32_t kMaxAlignment = 1u << 24;

} // namespace hbm
