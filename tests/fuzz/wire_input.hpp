// SPDX-License-Identifier: MIT
// How fuzz_wire reads its input, shared with the seed writer (wire_seeds.cpp):
//
//   byte 0      bit 0: SOCK_SEQPACKET (1) or SOCK_STREAM (0)
//               bits 1-5: how many fds to attach (0 to 31)
//               bit 6: send the message in two parts, split at byte 1
//   byte 1      where to split
//   n bytes     one per fd: bits 0-2 its kind (modulo the kinds below); for a memfd,
//               bits 3-7 its size (0, else 4 KiB << (value - 1) % 20)
//   the rest    the message, sent as it is
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hbm::fuzz {

enum class FdKind : uint8_t { Memfd, Pipe, DevNull, Socket, Eventfd, Count };

struct WireInput {
	bool seqpacket = false;
	size_t split = 0; ///< 0: one send
	std::vector<uint8_t> fdSpecs;
	std::vector<uint8_t> message;
};

inline FdKind kindOf(uint8_t spec)
{
	return FdKind((spec & 7) % uint8_t(FdKind::Count));
}

inline uint64_t memfdSizeOf(uint8_t spec)
{
	const unsigned value = spec >> 3;
	return value ? uint64_t(4096) << ((value - 1) % 20) : 0;
}

/// The spec byte of a memfd of at least @size bytes.
inline uint8_t memfdSpec(uint64_t size)
{
	unsigned value = size ? 1 : 0;
	while (value && memfdSizeOf(uint8_t(value << 3)) < size)
		++value;
	return uint8_t(value << 3 | uint8_t(FdKind::Memfd));
}

inline WireInput decodeWireInput(const uint8_t *data, size_t size)
{
	WireInput in;
	if (size < 2)
		return in;
	in.seqpacket = data[0] & 1;
	const size_t fds = (data[0] >> 1) & 31;
	in.split = (data[0] & 0x40) ? data[1] : 0;
	size_t at = 2;
	for (size_t i = 0; i < fds; ++i)
		in.fdSpecs.push_back(at < size ? data[at++] : 0);
	in.message.assign(data + at, data + size);
	return in;
}

inline std::vector<uint8_t> encodeWireInput(const WireInput &in)
{
	std::vector<uint8_t> out;
	out.push_back(uint8_t((in.seqpacket ? 1 : 0) | (in.fdSpecs.size() & 31) << 1 | (in.split ? 0x40 : 0)));
	out.push_back(uint8_t(in.split));
	out.insert(out.end(), in.fdSpecs.begin(), in.fdSpecs.end());
	out.insert(out.end(), in.message.begin(), in.message.end());
	return out;
}

} // namespace hbm::fuzz
