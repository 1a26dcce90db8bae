// SPDX-License-Identifier: MIT
#include <hbm/c_interop.hpp>

#include "c_api_private.hpp"

namespace hbm::interop {

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

int recordError(const Error &error)
{
	return capi::fail(error);
}

} // namespace hbm::interop
