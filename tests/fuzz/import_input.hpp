// SPDX-License-Identifier: MIT
// How fuzz_import reads its input, shared with the seed writer (import_seeds.cpp). Fields
// are little-endian; a short input reads as zeros.
//
//   u8   bits 0-2: plane count (modulo 6: 0 to 5); bit 3: width + 65536; bit 4: height + 65536
//   u8   format: an index into knownFormats(), or (past its end) a raw u32 fourcc follows
//   u16  width, u16 height
//   u8   modifier: an index into kModifiers, or (past its end) a raw u64 modifier follows
//   per plane:
//     u8   the fd: bits 0-2 its kind (FdKind), bits 3-7 its size (0, else 4 KiB << (v - 1) % 14)
//     u64  offset
//     u32  stride
#pragma once

#include <cstdint>
#include <vector>

#include <drm_fourcc.h>

#include <hbm/format.hpp>

#include "fuzz_check.hpp"

namespace hbm::fuzz {

enum class ImportFd : uint8_t {
	StandIn,    ///< a memfd the test seam reports as a dma-buf (tests/fakes/dma_buf_stand_in.hpp)
	SameAsLast, ///< the previous plane's fd (a stand-in for plane 0)
	Memfd,      ///< a plain memfd: not a dma-buf
	Pipe,
	DevNull,
	Negative, ///< -1
	NotOpen,  ///< a number no descriptor has
	Count
};

inline constexpr uint64_t kModifiers[] = {
	DRM_FORMAT_MOD_LINEAR,
	DRM_FORMAT_MOD_INVALID,
	I915_FORMAT_MOD_X_TILED,
	I915_FORMAT_MOD_Y_TILED_CCS,
	DRM_FORMAT_MOD_ARM_AFBC(AFBC_FORMAT_MOD_BLOCK_SIZE_16x16),
	DRM_FORMAT_MOD_BROADCOM_VC4_T_TILED,
	1,             // vendor NONE, not LINEAR or INVALID: reserved
	0x7full << 56, // an unknown vendor
};
inline constexpr size_t kModifierCount = sizeof(kModifiers) / sizeof(kModifiers[0]);

struct ImportPlaneInput {
	uint8_t fd = 0; ///< kind and size, as above
	uint64_t offset = 0;
	uint32_t stride = 0;
};

struct ImportInput {
	uint32_t width = 0, height = 0, format = 0;
	uint64_t modifier = 0;
	std::vector<ImportPlaneInput> planes;
};

inline ImportFd importFdKind(uint8_t spec)
{
	return ImportFd((spec & 7) % uint8_t(ImportFd::Count));
}

inline uint64_t importFdSize(uint8_t spec)
{
	const unsigned v = spec >> 3;
	return v ? uint64_t(4096) << ((v - 1) % 14) : 0;
}

/// The spec byte of an fd of @kind holding at least @size bytes.
inline uint8_t importFdSpec(ImportFd kind, uint64_t size)
{
	unsigned v = size ? 1 : 0;
	while (v && v < 14 && importFdSize(uint8_t(v << 3)) < size)
		++v;
	return uint8_t(v << 3 | uint8_t(kind));
}

inline ImportInput decodeImportInput(const uint8_t *data, size_t size)
{
	Reader r(data, size);
	ImportInput in;
	const uint8_t head = r.byte();
	const uint8_t format = r.byte();
	const auto known = knownFormats();
	in.format = format < known.size() ? known[format].fourcc : r.get<uint32_t>();
	in.width = r.get<uint16_t>() + ((head & 8) ? 65536u : 0u);
	in.height = r.get<uint16_t>() + ((head & 16) ? 65536u : 0u);
	const uint8_t modifier = r.byte();
	in.modifier = modifier < kModifierCount ? kModifiers[modifier] : r.get<uint64_t>();
	in.planes.resize((head & 7) % 6);
	for (ImportPlaneInput &p : in.planes) {
		p.fd = r.byte();
		p.offset = r.get<uint64_t>();
		p.stride = r.get<uint32_t>();
	}
	return in;
}

inline std::vector<uint8_t> encodeImportInput(const ImportInput &in)
{
	Writer w;
	w.byte(uint8_t(in.planes.size() | (in.width >= 65536 ? 8 : 0) | (in.height >= 65536 ? 16 : 0)));
	const auto known = knownFormats();
	size_t index = 0;
	while (index < known.size() && known[index].fourcc != in.format)
		++index;
	w.byte(uint8_t(index < known.size() ? index : 255));
	if (index >= known.size())
		w.put(in.format);
	w.put(uint16_t(in.width)).put(uint16_t(in.height));
	size_t m = 0;
	while (m < kModifierCount && kModifiers[m] != in.modifier)
		++m;
	w.byte(uint8_t(m < kModifierCount ? m : 255));
	if (m >= kModifierCount)
		w.put(in.modifier);
	for (const ImportPlaneInput &p : in.planes)
		w.byte(p.fd).put(p.offset).put(p.stride);
	return w.bytes;
}

} // namespace hbm::fuzz
