// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <linux/dma-buf.h>
#include <sanitizer/asan_interface.h> // no-op macros unless built with AddressSanitizer

#include <hbm/buffer.hpp>
#include <hbm/context.hpp>
#include <hbm/plane_array.hpp>

#include "backends/allocator.hpp"
#include "constraint_check.hpp"
#include "base/mapping.hpp"
#include "trace.hpp"

namespace hbm {

/// What the first CPU access makes of one descriptor (under the buffer's lock), kept until
/// destruction.
struct MemoryMapping {
	Mapping mapping;
	bool writable = true; ///< false when the descriptor was opened O_RDONLY
};

/// The origin of a buffer not yet given one.
inline const std::string kNoOrigin;

/// Everything about a buffer's storage besides its allocation, fixed at creation.
struct Provenance {
	/// The allocator's name, "import", "received": interned (base/interned.hpp), not
	/// copied per buffer.
	const std::string *origin = &kNoOrigin;
	std::optional<bool> contiguous; ///< of the storage, when the allocator declared it
	std::optional<bool> cached;
	dev_t device = 0;               ///< the DRM device whose own memory it is (dumb, GBM)
	uint64_t memoryEnd = 0;         ///< configured end of the allocator's memory
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
	// Fixed when the buffer is made. The one exception: claimed sizes
	// (Allocation::sizesClaimed) are confirmed with the kernel at the first CPU mapping,
	// under the mutex.
	Allocation storage; ///< the layout, its descriptors, what they depend on
	bool dmaBuf = true; ///< every descriptor is a dma-buf (false: CPU-only memory, a memfd)
	Provenance provenance;

	~Private()
	{
		if (provenance.traceId) // recorded only under HBM_TRACE
			trace::recordRelease(provenance.traceId);
	}

	const Layout &layout() const { return storage.layout; }
	const SharedFd &planeFd(size_t plane) const { return storage.planeFd(plane); }

	// Guarded by mutex.
	mutable std::mutex mutex;
	std::vector<Participant> participants; ///< the plan's, and those attached since
	PlaneArray<MemoryMapping> mappings; ///< per descriptor, in order, from the first CPU access
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

/// Descriptors a caller hands over to importBuffer() (receiveBuffer()'s): one a plane names
/// is taken (its entry set to -1), not duplicated; the caller closes what is left.
using AdoptedFds = std::span<int>;

/// Buffer::import(), adopting the descriptors in @adopt that the planes name instead of
/// duplicating them (null: none; the buffer's origin is then "import", else "received").
Result<std::shared_ptr<Buffer>> importBuffer(const ImportView &desc, AdoptedFds *adopt);

/// A Buffer with its state: one allocation for both and the reference count
/// (std::allocate_shared), which is most of what a small buffer costs in user space.
struct __attribute__((visibility("hidden"))) BufferWithState final : Buffer {
	Buffer::Private state;
	BufferWithState() : Buffer(&state) {}
};

/// The one block a thread last freed, kept for its next buffer: a buffer made and released
/// per frame or per request reuses its block instead of asking malloc() and free() each
/// time (~125 instructions of glibc 2.36's; docs/performance.md, seventh round). Plain
/// thread-local data, read without a guard; armBlockSlot() registers, once per thread, the
/// release of the kept block when the thread ends. A block released after that (a buffer
/// held by another thread_local) goes straight to free(). Under AddressSanitizer the kept
/// block is poisoned until it is handed out again, so a use after release is still caught.
struct BlockSlot {
	void *block = nullptr;
	size_t size = 0;    ///< of the kept block
	bool armed = false; ///< its release at thread exit is registered
	bool closed = false; ///< the thread is ending: keep nothing
};
extern constinit thread_local BlockSlot blockSlot;
/// Registers the release of this thread's kept block at thread exit (buffer.cpp).
[[gnu::cold]] void armBlockSlot();

/// The allocator of a buffer's one block (the Buffer, its state and the reference count):
/// the thread's kept block when it has one of the size, else malloc(); released into the
/// thread's slot when that is empty, else to free(). operator new and delete would reach
/// malloc() and free() through two more calls each way (docs/performance.md, sixth round).
template<typename T>
struct BlockAllocator {
	using value_type = T;
	BlockAllocator() = default;
	template<typename U>
	BlockAllocator(const BlockAllocator<U> &) noexcept
	{
	}
	T *allocate(size_t n)
	{
		static_assert(alignof(T) <= alignof(std::max_align_t), "malloc() aligns to max_align_t only");
		BlockSlot &s = blockSlot;
		if (s.block && s.size == n * sizeof(T)) {
			ASAN_UNPOISON_MEMORY_REGION(s.block, s.size);
			return static_cast<T *>(std::exchange(s.block, nullptr));
		}
		if (void *p = std::malloc(n * sizeof(T)))
			return static_cast<T *>(p);
		throw std::bad_alloc();
	}
	void deallocate(T *p, size_t n) noexcept
	{
		BlockSlot &s = blockSlot;
		if (s.block || s.closed) {
			std::free(p);
			return;
		}
		if (!s.armed)
			armBlockSlot();
		s.block = p;
		s.size = n * sizeof(T);
		ASAN_POISON_MEMORY_REGION(p, s.size);
	}
	template<typename U>
	bool operator==(const BlockAllocator<U> &) const noexcept
	{
		return true;
	}
};

/// A buffer being made: its state exists (one allocation with the Buffer), its storage and
/// provenance are empty until its maker writes them in place (Allocator::allocate() into
/// storage, import plane by plane), and only finish() hands out the Buffer. Dropped
/// unfinished, it releases whatever was written (descriptors, a gbm_bo).
class __attribute__((visibility("hidden"))) BufferBuilder
{
public:
	BufferBuilder() : made_(std::allocate_shared<BufferWithState>(BlockAllocator<BufferWithState>())) {}
	Buffer::Private &state() { return made_->state; }
	std::shared_ptr<Buffer> finish() && { return std::move(made_); }

private:
	std::shared_ptr<BufferWithState> made_;
};

/// Reads buffers' state for the parts of hbm that need it (Context, import, sharing).
struct BufferFactory {
	static const Buffer::Private &state(const Buffer &buffer) { return *buffer.d_; }

	/// A buffer holding @allocation, already checked (Allocator::allocate()'s checks, or
	/// import's): its sizes and dma-buf status are known, so the kernel is not asked again.
	/// For tests and makers with no builder of their own.
	static std::shared_ptr<Buffer> fromCheckedAllocation(Allocation allocation, bool dmaBuf, Provenance provenance);
};

} // namespace hbm
