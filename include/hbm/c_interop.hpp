// SPDX-License-Identifier: MIT
#pragma once

// The bridge between hbm.h's opaque C handles and the C++ objects behind them, for
// libraries that extend the C ABI (libhbm-wayland, libhbm-egl): they take an hbm_buffer *
// from a C caller, hand back hbm_participant *, and report failures through the same
// hbm_last_error() the caller already reads.

#include <memory>

#include <hbm/buffer.hpp>
#include <hbm/context.hpp>
#include <hbm/export.h>
#include <hbm/hbm.h>
#include <hbm/participant.hpp>
#include <hbm/result.hpp>

namespace hbm::interop {

/// The Buffer behind @buffer; null for NULL or an idle pool buffer.
HBM_EXPORT std::shared_ptr<Buffer> bufferOf(const hbm_buffer *buffer);
/// A new C view of @buffer holding one reference (hbm_buffer_unref() releases it).
HBM_EXPORT hbm_buffer *wrapBuffer(std::shared_ptr<Buffer> buffer);

/// The Participant behind @participant; null for NULL.
HBM_EXPORT const Participant *participantOf(const hbm_participant *participant);
/// A new C participant (hbm_participant_destroy() frees it).
HBM_EXPORT hbm_participant *wrapParticipant(Participant participant);

/// The Context behind @context; null for NULL.
HBM_EXPORT std::shared_ptr<Context> contextOf(const hbm_context *context);

/// Records @error as the calling thread's last failure (hbm_last_error(), its reason and
/// rejections) and returns its -errno.
HBM_EXPORT int recordError(const Error &error);

} // namespace hbm::interop
