// SPDX-License-Identifier: MIT
// src/seam/c_interop.hpp: the handles, for libhbm-wayland and libhbm-egl. The error recorder and
// the struct reader are in errors.cpp, the buffer handle table in buffer.cpp.
#include "seam/c_interop.hpp"

#include "c_api_private.hpp"

namespace hbm_seam {

using namespace hbm;
using namespace hbm::capi;

std::shared_ptr<Buffer> bufferOf(const hbm_buffer *buffer)
{
	return buffer ? buffer->buffer : nullptr;
}

hbm_buffer *wrapBuffer(std::shared_ptr<Buffer> buffer)
{
	return capi::wrap(std::move(buffer));
}

const Participant *participantOf(const hbm_participant *participant)
{
	return participant ? &participant->participant : nullptr;
}

hbm_participant *wrapParticipant(Participant participant)
{
	auto *p = new hbm_participant;
	p->name = participant.name();
	p->participant = std::move(participant);
	return p;
}

std::shared_ptr<Context> contextOf(const hbm_context *context)
{
	return context ? context->context : nullptr;
}

} // namespace hbm_seam
