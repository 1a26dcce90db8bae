// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <hbm/buffer.hpp>
#include <hbm/context.hpp>

#include "mapping.hpp"

namespace hbm {

/// One memory object behind a buffer's planes: a dma-buf (or a memfd).
struct Memory {
	SharedFd fd;
	uint64_t size = 0; ///< the descriptor's real size
	bool dmaBuf = true;
	Mapping mapping;   ///< made at the first CPU access, kept until destruction
};

struct Buffer::Private {
	Layout layout;
	std::vector<Memory> memories;
	std::vector<size_t> planeMemory; ///< plane index -> memories index
	std::string origin;
	std::shared_ptr<void> keepAlive; ///< backend object (gbm_bo) the storage depends on

	// Negotiation (Context::describe()): set while the buffer is only described.
	std::shared_ptr<Context> context; ///< negotiates and allocates at first use
	Request request;
	std::vector<Participant> participants;
	std::optional<Plan> plan;
	bool storage = true;            ///< false while only described
	std::optional<bool> contiguous; ///< of the storage, when the allocator declared it
	std::optional<bool> cached;

	uint64_t traceId = 0; ///< HBM_TRACE: the allocation's id, recorded again at release
	~Private();

	std::mutex mutex;
	unsigned accessDepth = 0; ///< open CpuAccess objects
	unsigned accessFlags = 0; ///< DMA_BUF_SYNC_READ/WRITE announced by the open start
};

/// Buffer::import(), adopting the descriptors in @adopt that the planes name instead of
/// duplicating them (receiveBuffer() owns what it received).
Result<std::shared_ptr<Buffer>> importBuffer(const ImportDesc &desc, std::vector<UniqueFd> *adopt);

/// Builds buffers for the parts of hbm that make them (Context, import, sharing).
struct BufferFactory {
	static Buffer::Private &state(Buffer &buffer) { return *buffer.d_; }

	/// @planeFds holds one descriptor per plane; planes sharing a SharedFd (or a dma-buf
	/// inode) share one Memory.
	static Result<std::shared_ptr<Buffer>> create(Layout layout, std::vector<SharedFd> planeFds,
						      std::string origin, std::shared_ptr<void> keepAlive = {});

	/// From an allocation Allocator::allocate() has checked: its sizes and dma-buf
	/// status are known, so the kernel is not asked again.
	static Result<std::shared_ptr<Buffer>> fromCheckedAllocation(Layout layout, std::vector<SharedFd> planeFds,
								     std::vector<uint64_t> planeFdSizes, bool dmaBuf,
								     std::string origin, std::shared_ptr<void> keepAlive);
};

} // namespace hbm
