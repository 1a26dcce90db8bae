// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <linux/dma-buf.h>

#include <hbm/buffer.hpp>
#include <hbm/context.hpp>
#include <hbm/plane_array.hpp>

#include "constraint_check.hpp"
#include "base/mapping.hpp"

namespace hbm {

struct Allocation;

/// One memory object behind a buffer's planes: a dma-buf (or a memfd).
struct Memory {
	SharedFd fd;
	uint64_t size = 0; ///< the descriptor's real size (see sizeClaimed)
	/// @size is what a backend computed (GBM: the extent of its planes), not yet asked of
	/// the kernel: the first CPU mapping asks (lseek) before mapping, under the lock.
	bool sizeClaimed = false;
	bool dmaBuf = true;
	Mapping mapping;   ///< made at the first CPU access (under the buffer's lock), kept until destruction
	bool writable = true; ///< set with the mapping: false when the descriptor was opened O_RDONLY
};

/// Everything about a buffer's storage besides its layout and descriptors, fixed at creation.
struct Provenance {
	std::string origin;             ///< allocator name, "import", "received"
	std::optional<bool> contiguous; ///< of the storage, when the allocator declared it
	std::optional<bool> cached;
	dev_t device = 0;               ///< the DRM device whose own memory it is (dumb, GBM)
	uint64_t memoryEnd = 0;         ///< configured end of the allocator's memory
	std::shared_ptr<void> keepAlive; ///< backend object (gbm_bo) the storage depends on
	std::optional<Plan> plan;
	uint64_t traceId = 0;           ///< HBM_TRACE: the allocation's id, recorded again at release
};

/// What the caller of an allocation knew of it: the plan and its participants (moved into
/// the buffer; Buffer::Private::participants is the live list).
struct KnownOfAllocation {
	std::optional<Plan> plan;
	std::vector<Participant> participants;
};

// Hidden: the class is exported, its insides are not (check-exports.sh).
struct __attribute__((visibility("hidden"))) Buffer::Private {
	// Fixed when the buffer is made.
	Layout layout;
	PlaneArray<Memory> memories;
	PlaneArray<uint8_t> planeMemory; ///< plane index -> memories index
	Provenance provenance;

	~Private();

	// Guarded by mutex.
	mutable std::mutex mutex;
	std::vector<Participant> participants; ///< the plan's, and those attached since
	unsigned accessDepth = 0; ///< open CpuAccess objects
	unsigned accessFlags = 0; ///< DMA_BUF_SYNC_READ/WRITE announced by the open start
};

/// DMA_BUF_SYNC_READ/WRITE for @mode: the one mapping of an access mode to what it
/// announces or waits for (inline: waitIdle() asks it for every buffer a pool hands out).
inline unsigned syncFlags(CpuAccessMode mode)
{
	unsigned flags = 0;
	if (static_cast<unsigned>(mode) & static_cast<unsigned>(CpuAccessMode::Read))
		flags |= DMA_BUF_SYNC_READ;
	if (static_cast<unsigned>(mode) & static_cast<unsigned>(CpuAccessMode::Write))
		flags |= DMA_BUF_SYNC_WRITE;
	return flags;
}

/// What the storage is, for the one constraint check.
Capabilities storageCapabilities(const Buffer::Private &buffer);

/// What import reads of an ImportDesc, its planes borrowed (receiveBuffer() builds them
/// inline, not in a vector).
struct ImportView {
	uint32_t width = 0;
	uint32_t height = 0;
	uint32_t format = 0;
	uint64_t modifier = 0;
	std::span<const PlaneImport> planes;
};

/// Buffer::import(), adopting the descriptors in @adopt that the planes name instead of
/// duplicating them (receiveBuffer() owns what it received).
Result<std::shared_ptr<Buffer>> importBuffer(const ImportView &desc, std::vector<UniqueFd> *adopt);

/// Builds buffers for the parts of hbm that make them (Context, import, sharing).
struct BufferFactory {
	static const Buffer::Private &state(const Buffer &buffer) { return *buffer.d_; }

	/// From an allocation Allocator::allocate() has checked: its sizes and dma-buf
	/// status are known, so the kernel is not asked again. @sizesClaimed: the sizes are
	/// the backend's word, not the kernel's (Allocation::sizesClaimed), checked with the
	/// kernel at the first CPU mapping.
	static std::shared_ptr<Buffer> fromCheckedAllocation(Layout layout, PlaneArray<SharedFd> planeFds,
							     const PlaneArray<uint64_t> &planeFdSizes, bool dmaBuf,
							     Provenance provenance, bool sizesClaimed = false);

	/// fromCheckedAllocation() for an allocator's own result, with the provenance written
	/// in place: @allocator's facts, the plan and participants of @known (moved from; may
	/// be null) and @traceId. @allocation is moved from.
	static std::shared_ptr<Buffer> fromAllocation(Allocation &allocation, const AllocatorInfo &allocator,
						      KnownOfAllocation *known, uint64_t traceId);
};

} // namespace hbm
