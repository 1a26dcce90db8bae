// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <hbm/buffer.hpp>
#include <hbm/export.h>
#include <hbm/negotiation.hpp>
#include <hbm/participant.hpp>
#include <hbm/result.hpp>

namespace hbm {

class Context;

/// A buffer described but not allocated (cenalloc): the request, the participants that
/// will touch it and the plan as it stands. Devices attach and detach; each change
/// negotiates again, and a change no plan survives is refused and changes nothing.
/// allocate() turns the description into a Buffer, once: the same Buffer is returned to
/// every later call, and from then on the description only forwards attach() to it
/// (checked against the storage) and refuses detach(), saying why.
///
/// Thread-safety: every method may be called from any thread at the same time.
class HBM_EXPORT BufferDescription
{
public:
	~BufferDescription();
	BufferDescription(const BufferDescription &) = delete;
	BufferDescription &operator=(const BufferDescription &) = delete;

	const Request &request() const;

	/// Adds a participant. Before storage exists the plan is negotiated again with it; a
	/// refusal (Error::refusal says why, as data) leaves everything as it was. After, the
	/// participant is checked against the storage (Buffer::attach()).
	Result<void> attach(const Participant &participant);
	/// Removes the participant with @identity, relaxing the constraints again. Refused
	/// (RejectReason::NotAttached) for one never attached, and (RejectReason::StorageExists)
	/// once the buffer has storage: its layout cannot change any more.
	Result<void> detach(const ParticipantIdentity &identity);

	std::vector<Participant> participants() const;
	/// The plan as it stands (the one the storage was made from, once allocated). Empty
	/// (no allocator) while none exists for the request alone — on a machine without
	/// dma-buf memory; allocate() then says why.
	Plan plan() const;

	/// Storage for the plan, from the allocator it chose: the Buffer, made once.
	Result<std::shared_ptr<Buffer>> allocate();
	/// The Buffer, once allocate() succeeded; null before.
	std::shared_ptr<Buffer> buffer() const;

	struct Private;

private:
	friend class Context;
	explicit BufferDescription(std::unique_ptr<Private> d);
	std::unique_ptr<Private> d_;
};

} // namespace hbm
