// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <hbm/export.h>
#include <hbm/format_set.hpp>

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
};

/// What one device demands of a buffer for one use.
struct Constraints {
	FormatSet formats;            ///< (format, modifier) pairs it accepts
	uint32_t strideAlignment = 1; ///< of every plane's stride; combined by LCM
	uint32_t offsetAlignment = 1; ///< of every plane's offset; combined by LCM
	uint32_t maxWidth = 0;        ///< 0: no limit; combined by min
	uint32_t maxHeight = 0;
	uint32_t maxStride = 0;
	/// The device reads a buffer only from the start of its dma-buf: plane 0 must be at
	/// offset 0 (vkms on 6.12 adds framebuffer offsets twice).
	bool planesAtStart = false;
	Placement placement;
};

/// A device or endpoint that will touch the buffer: a KMS plane, a V4L2 queue, an EGL
/// display, a compositor, or one declared in configuration.
struct Participant {
	std::string name;   ///< "vkms primary plane 31", "camera (declared)"
	std::string source; ///< how its constraints were learnt: "IN_FORMATS of /dev/dri/card1 …"
	Constraints constraints;
	// What configuration rules match on (empty when unknown).
	std::string drmDriver;
	std::string sysfsPath;
	std::string v4l2Card;
};

} // namespace hbm
