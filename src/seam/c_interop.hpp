// SPDX-License-Identifier: MIT
// The bridge between hbm.h's opaque C handles and the C++ objects behind them, for
// libraries that extend the C ABI (libhbm-wayland, libhbm-egl): they take an hbm_buffer *
// from a C caller, hand back hbm_participant *, read and write extensible structs by the
// one rule at the top of hbm.h, and report failures through the same hbm_last_error() the
// caller already reads. Each convention of hbm.h is kept here once, so that every C header
// of hbm keeps it the same way.

#pragma once

#include "seam.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

#include <hbm/buffer.hpp>
#include <hbm/context.hpp>
#include <hbm/negotiation.hpp>
#include <hbm/hbm.h>
#include <hbm/participant.hpp>
#include <hbm/result.hpp>

namespace hbm_seam {

using hbm::Buffer;
using hbm::Context;
using hbm::Error;
using hbm::Participant;
using hbm::Request;

/// The canonical C handle of @buffer, with one more reference (hbm_buffer_unref() drops
/// it): while any reference to a Buffer's handle lives, every wrap of that Buffer returns
/// the same handle, so user data set on it follows the buffer (through pools, and from
/// the Wayland compositor's callback to hbm_wl_compositor_buffer_from_resource()).
HBM_SEAM hbm_buffer *wrapBuffer(std::shared_ptr<Buffer> buffer);
/// The Buffer behind @buffer; null for NULL or an idle pool buffer.
HBM_SEAM std::shared_ptr<Buffer> bufferOf(const hbm_buffer *buffer);

/// The Participant behind @participant; null for NULL.
HBM_SEAM const Participant *participantOf(const hbm_participant *participant);
/// A new C participant (hbm_participant_destroy() frees it).
HBM_SEAM hbm_participant *wrapParticipant(Participant participant);

/// The Context behind @context; null for NULL.
HBM_SEAM std::shared_ptr<Context> contextOf(const hbm_context *context);

/// Records @error as the calling thread's last failure (hbm_last_error(), its reason and
/// rejections) and returns its -errno.
HBM_SEAM int recordError(const Error &error);
/// Records a failure that is not a refusal: -@code with the sentence @fmt.
HBM_SEAM int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/// Reads the caller's @in (NULL: a zeroed request, which is refused for its size) into
/// @out and checks what every request needs (arrays that match their counts, usage bits
/// that enum hbm_usage defines).
HBM_SEAM int readRequest(const char *function, const hbm_request *in, Request *out);

/// Copies an options struct's `participants[0 .. participant_count)` (NULL with a count of
/// 0) into @out; refuses (-EINVAL) a NULL array with a count, and a NULL element by index.
HBM_SEAM int readParticipants(const char *function, const hbm_participant *const *participants, uint32_t count,
			      std::vector<Participant> *out);

/// An extensible C struct as this library knows it: what the size rule of hbm.h needs.
struct StructLayout {
	const char *name; ///< "struct hbm_request"
	size_t firstSize; ///< its first version's size, frozen (HBM_*_SIZE_V1)
	size_t knownSize; ///< its size as this library was built
};

/// Copies the caller's @in into @out (layout.knownSize bytes): fields past in->size take
/// their zero default, and a NULL @in is every field's default. Refuses, recording why, a
/// size below the first version (-EINVAL) and bytes past knownSize that are not zero
/// (-E2BIG: a newer program asked for something this library cannot do).
HBM_SEAM int readStruct(const char *function, const StructLayout &layout, const void *in, void *out);
/// Writes @full (layout.knownSize bytes) into the caller's @out as far as out->size
/// covers, zero beyond what this library knows; out->size is left as the caller set it.
/// A NULL @out or a size below the first version is -EINVAL. With @record false a refusal
/// is returned without touching the thread's error state (hbm_last_rejection()).
HBM_SEAM int writeStruct(const char *function, const StructLayout &layout, void *out, const void *full,
			   bool record = true);
/// Reads the caller's array of @count extensible structs into @out (count * knownSize
/// bytes): the elements lie array[0].size bytes apart, the size the caller's header gave
/// them, and each must state that same size.
HBM_SEAM int readStructArray(const char *function, const StructLayout &layout, const void *array,
			       uint32_t count, void *out);

/// readStruct() and writeStruct() for a struct T declared with HBM_C_STRUCT().
template<typename T>
int readStruct(const char *function, const T *in, T *out)
{
	return readStruct(function, hbmStructLayout(static_cast<const T *>(nullptr)), in, out);
}

template<typename T>
int writeStruct(const char *function, T *out, const T &full, bool record = true)
{
	return writeStruct(function, hbmStructLayout(static_cast<const T *>(nullptr)), out, &full, record);
}

} // namespace hbm_seam

/// Declares @type an extensible struct whose first version is @first_size bytes (its
/// header's HBM_*_SIZE_V1): at global scope, so that the templates above find it by ADL.
#define HBM_C_STRUCT(type, first_size)                                                     \
	constexpr ::hbm_seam::StructLayout hbmStructLayout(const type *)               \
	{                                                                                  \
		return {"struct " #type, (first_size), sizeof(type)};                      \
	}
