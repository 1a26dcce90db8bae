// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>

#include <hbm/buffer.hpp>
#include <hbm/export.h>
#include <hbm/negotiation.hpp>
#include <hbm/result.hpp>

namespace hbm {

class Context;

/// Recycles buffers of one plan (a swapchain): acquire() hands out a lease; when the last
/// copy of the lease goes, the buffer returns to the pool. A returned buffer is handed out
/// again only once no device holds it: every fence on it (a KMS out-fence, a decoder's
/// write fence imported with Buffer::importSyncFile()) has signalled.
class HBM_EXPORT BufferPool
{
public:
	/// A pool of at most @maxBuffers buffers made from @plan.
	static Result<std::shared_ptr<BufferPool>> create(std::shared_ptr<Context> context, const Plan &plan,
							  size_t maxBuffers);
	~BufferPool();
	BufferPool(const BufferPool &) = delete;
	BufferPool &operator=(const BufferPool &) = delete;

	/// An idle buffer, or a new one while fewer than maxBuffers exist; refused, naming how
	/// many are leased and how many are still held by devices, when none is free.
	Result<std::shared_ptr<Buffer>> acquire();

	size_t size() const;   ///< buffers made so far
	size_t leased() const; ///< buffers handed out and not yet returned
	const Plan &plan() const;

	struct State;

private:
	explicit BufferPool(std::shared_ptr<State> state);
	std::shared_ptr<State> state_;
};

} // namespace hbm
