// SPDX-License-Identifier: MIT
// How fuzz_negotiation reads its input, shared with the seed writer
// (negotiation_seeds.cpp). Fields are little-endian; a short input reads as zeros.
//
//   u16 width, u16 height, u8 bit 0: width + 65536, bit 1: height + 65536
//   u8  physical top of RAM: 0 unknown, 1 this machine's, else 1 << (v % 64)
//   u8  requested formats (modulo 5), then one u8 each (a format index, below)
//   u8  allocators (modulo 5), then each:
//         u8 name (an index into kAllocatorNames; one already taken is skipped)
//         u8 bits 0-3: contiguous, cached, device-importable, sub-allocates;
//            bits 4-5: the DRM device it belongs to (0: none, else 226:v)
//         u8 max size: 0 none, else 4 KiB << (v - 1) % 40
//         u8 memory end: 0 unknown, else 1 << (v % 64)
//         u8 pairs (modulo 9), then each u8 format, u8 modifier (indices, below)
//   u8  participants (modulo 5), then each:
//         u8 identity: bits 0-1 declared / KMS primary / KMS cursor / V4L2, bits 2-7 its number
//         u8 pairs (modulo 9), then each u8 format, u8 modifier
//         u8 stride alignment, u8 offset alignment: below 32, 1 << v; else v itself
//         u16 max width, u16 max height, u32 max stride (0: no limit)
//         u8 bit 0 planes at start, bit 1 contiguous, bits 2-3 cached (1 false, 2 true,
//            else either), bits 4-5 the DRM device whose memory it needs (0: any)
//         u8 address limit: 0 none, else 1 << (v % 64)
//         u8 allowed allocators: a bit mask over kAllocatorNames (0: any)
//
// A format index past knownFormats() is an unknown fourcc; modifier indices are taken
// modulo kModifierChoices.
#pragma once

#include <cstdint>
#include <vector>

#include <drm_fourcc.h>

#include <hbm/format.hpp>

#include "fuzz_check.hpp"

namespace hbm::fuzz {

inline constexpr const char *kAllocatorNames[] = {"dma-heap:system", "dma-heap:reserved", "udmabuf", "dumb:vkms",
						  "gbm:vkms",        "region:video",      "memfd",   "gbm:v3d"};
inline constexpr size_t kAllocatorNameCount = sizeof(kAllocatorNames) / sizeof(kAllocatorNames[0]);

inline constexpr uint64_t kModifierChoices[] = {
	DRM_FORMAT_MOD_LINEAR,
	DRM_FORMAT_MOD_INVALID,
	I915_FORMAT_MOD_X_TILED,
	I915_FORMAT_MOD_Y_TILED,
	DRM_FORMAT_MOD_ARM_AFBC(AFBC_FORMAT_MOD_BLOCK_SIZE_16x16),
	DRM_FORMAT_MOD_BROADCOM_VC4_T_TILED,
};
inline constexpr size_t kModifierChoiceCount = sizeof(kModifierChoices) / sizeof(kModifierChoices[0]);

/// What a format index names: a known format, or past them an unknown fourcc.
inline uint32_t formatOf(uint8_t index)
{
	const auto known = knownFormats();
	return index < known.size() ? known[index].fourcc : fourcc_code('N', 'V', '1', '3');
}

/// The index of @fourcc (known formats only).
inline uint8_t formatIndex(uint32_t fourcc)
{
	const auto known = knownFormats();
	for (size_t i = 0; i < known.size(); ++i)
		if (known[i].fourcc == fourcc)
			return uint8_t(i);
	return 255;
}

inline uint8_t modifierIndex(uint64_t modifier)
{
	for (size_t i = 0; i < kModifierChoiceCount; ++i)
		if (kModifierChoices[i] == modifier)
			return uint8_t(i);
	return 0;
}

struct PairInput {
	uint8_t format = 0, modifier = 0;
};

struct AllocatorInput {
	uint8_t name = 0, flags = 0, maxSize = 0, memoryEnd = 0;
	std::vector<PairInput> pairs;
};

struct ParticipantInput {
	uint8_t identity = 0;
	std::vector<PairInput> pairs;
	uint8_t strideAlignment = 0, offsetAlignment = 0; ///< 0: 1 << 0, i.e. none
	uint16_t maxWidth = 0, maxHeight = 0;
	uint32_t maxStride = 0;
	uint8_t flags = 0, addressLimit = 0, allowed = 0;
};

struct NegotiationInput {
	uint32_t width = 0, height = 0;
	uint8_t physicalTop = 0;
	std::vector<uint8_t> formats;
	std::vector<AllocatorInput> allocators;
	std::vector<ParticipantInput> participants;
};

inline std::vector<PairInput> readPairs(Reader &r)
{
	std::vector<PairInput> pairs(r.byte() % 9);
	for (PairInput &p : pairs) {
		p.format = r.byte();
		p.modifier = r.byte();
	}
	return pairs;
}

inline NegotiationInput decodeNegotiationInput(const uint8_t *data, size_t size)
{
	Reader r(data, size);
	NegotiationInput in;
	in.width = r.get<uint16_t>();
	in.height = r.get<uint16_t>();
	const uint8_t big = r.byte();
	in.width += (big & 1) ? 65536 : 0;
	in.height += (big & 2) ? 65536 : 0;
	in.physicalTop = r.byte();
	in.formats.resize(r.byte() % 5);
	for (uint8_t &f : in.formats)
		f = r.byte();
	in.allocators.resize(r.byte() % 5);
	for (AllocatorInput &a : in.allocators) {
		a.name = r.byte();
		a.flags = r.byte();
		a.maxSize = r.byte();
		a.memoryEnd = r.byte();
		a.pairs = readPairs(r);
	}
	in.participants.resize(r.byte() % 5);
	for (ParticipantInput &p : in.participants) {
		p.identity = r.byte();
		p.pairs = readPairs(r);
		p.strideAlignment = r.byte();
		p.offsetAlignment = r.byte();
		p.maxWidth = r.get<uint16_t>();
		p.maxHeight = r.get<uint16_t>();
		p.maxStride = r.get<uint32_t>();
		p.flags = r.byte();
		p.addressLimit = r.byte();
		p.allowed = r.byte();
	}
	return in;
}

inline void writePairs(Writer &w, const std::vector<PairInput> &pairs)
{
	w.byte(uint8_t(pairs.size()));
	for (const PairInput &p : pairs)
		w.byte(p.format).byte(p.modifier);
}

inline std::vector<uint8_t> encodeNegotiationInput(const NegotiationInput &in)
{
	Writer w;
	w.put(uint16_t(in.width)).put(uint16_t(in.height));
	w.byte(uint8_t((in.width >= 65536 ? 1 : 0) | (in.height >= 65536 ? 2 : 0)));
	w.byte(in.physicalTop);
	w.byte(uint8_t(in.formats.size()));
	for (uint8_t f : in.formats)
		w.byte(f);
	w.byte(uint8_t(in.allocators.size()));
	for (const AllocatorInput &a : in.allocators) {
		w.byte(a.name).byte(a.flags).byte(a.maxSize).byte(a.memoryEnd);
		writePairs(w, a.pairs);
	}
	w.byte(uint8_t(in.participants.size()));
	for (const ParticipantInput &p : in.participants) {
		w.byte(p.identity);
		writePairs(w, p.pairs);
		w.byte(p.strideAlignment).byte(p.offsetAlignment);
		w.put(p.maxWidth).put(p.maxHeight).put(p.maxStride);
		w.byte(p.flags).byte(p.addressLimit).byte(p.allowed);
	}
	return w.bytes;
}

} // namespace hbm::fuzz
