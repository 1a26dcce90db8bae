// SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include <hbm/buffer.hpp>
#include <hbm/export.h>
#include <hbm/result.hpp>

namespace hbm {

/// Sends @buffer over the connected Unix socket @socket: a small versioned descriptor
/// (size, format, modifier, planes) with the buffer's dma-bufs attached by SCM_RIGHTS,
/// each distinct dma-buf once. SOCK_SEQPACKET is best: one message is one descriptor.
/// SOCK_STREAM works too, the descriptor's header saying where it ends; after a refused
/// descriptor a stream may be out of step, so close it. CPU-only (memfd) buffers are refused.
HBM_EXPORT Result<void> sendBuffer(int socket, const Buffer &buffer);

/// Receives what sendBuffer() sent. The descriptor is checked field by field (magic,
/// version, size, plane and fd counts) and the planes against the dma-bufs' real sizes
/// (Buffer::import); on any refusal every received fd is closed. EPROTO: not a well-formed
/// descriptor; EINVAL: a well-formed one describing an impossible buffer (as import says);
/// EMFILE: this process is out of descriptors; ECONNRESET: the peer closed the connection.
HBM_EXPORT Result<std::shared_ptr<Buffer>> receiveBuffer(int socket);

/// Version of the descriptor this hbm writes and reads.
inline constexpr uint16_t kShareVersion = 1;

} // namespace hbm
