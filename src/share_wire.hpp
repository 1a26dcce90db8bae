// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <sys/types.h>

#include <hbm/result.hpp>

namespace hbm {

/// The buffer descriptor sendBuffer() writes, in host byte order (both ends share a
/// machine). A future version may grow it: the header says which and how long.
constexpr uint32_t kWireMagic = 0x424d4248; // "HBMB"

struct WireHeader {
	uint32_t magic;
	uint16_t version;
	uint16_t size; ///< bytes of the whole descriptor
};

struct WirePlane {
	uint32_t fdIndex; ///< which of the attached fds
	uint32_t stride;
	uint64_t offset;
};

struct WireDescriptor {
	WireHeader header;
	uint32_t width;
	uint32_t height;
	uint32_t format;
	uint32_t planeCount;
	uint64_t modifier;
	uint32_t fdCount;
	uint32_t reserved;
	WirePlane planes[4];
};
static_assert(sizeof(WireDescriptor) == 104, "the version 1 descriptor is 104 bytes");

/// Most fds sendWithFds() attaches (a descriptor needs 4; tests and fuzzers send more).
constexpr size_t kMaxSentFds = 32;

/// sendmsg() of @size bytes of @data with @fds attached by SCM_RIGHTS, EINTR retried:
/// the bytes sent, or -errno. Shared by sendBuffer() and the tests that play a hostile peer.
ssize_t sendWithFds(int socket, const void *data, size_t size, std::span<const int> fds, int flags);

/// Checks a received message of @size bytes that came with @fdCount fds, the descriptor
/// read into @out (written only once the header is right; the caller uses it only on
/// success). @data holds its first min(@size, sizeof(WireDescriptor)) bytes: a longer
/// message is refused by its size and only its header is read. A pure function of its
/// input, for tests and fuzzers; the rest of receiveBuffer() (the socket, the kernel's
/// fds, import) is not.
///
/// EPROTO is a message that is not a well-formed descriptor: truncated or oversized, bad
/// magic, unknown version, fds attached other than named. EINVAL is a well-formed one that
/// describes no acceptable buffer (plane count here; size, format, modifier, strides and
/// offsets in import), the same answer Buffer::import() gives.
Result<void> parseWireDescriptor(const uint8_t *data, size_t size, size_t fdCount, WireDescriptor &out);

} // namespace hbm
