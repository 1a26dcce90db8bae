// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <hbm/allocator.hpp>
#include <hbm/layout.hpp>
#include <hbm/plane_array.hpp>
#include <hbm/result.hpp>
#include <hbm/shared_fd.hpp>
#include <hbm/unique_fd.hpp>

#include "base/drm_node.hpp"
#include "base/interned.hpp"

namespace hbm {

/// LinearRules{}: what a request without a device's rules lays out with.
inline const LinearRules kDefaultLinearRules{};

/// What the core asks of an allocator: an image and the modifiers and linear alignment
/// acceptable, already checked against the allocator's declared formats. A struct, so
/// fields can be added without touching every backend's signature.
struct AllocationRequest {
	uint32_t width = 0;
	uint32_t height = 0;
	uint32_t format = 0;
	std::span<const uint64_t> modifiers; ///< non-empty, in preference order (borrowed)
	const LinearRules *linear = &kDefaultLinearRules; ///< borrowed, never null
	uint32_t usage = 0;
};

/// What a buffer's storage depends on besides its descriptors, released with the buffer: a
/// gbm_bo and the device it came from, a CMA heap's count of what this process holds. The
/// backend gives the object, the function that releases it (with @value, e.g. a size) and
/// the owner that must outlive it; nothing is allocated per buffer (a std::shared_ptr<void>
/// with a deleter made a control block for each). Move-only.
class BackendHold
{
public:
	using Release = void (*)(void *object, uint64_t value);

	BackendHold() = default;
	BackendHold(std::shared_ptr<void> owner, void *object, uint64_t value, Release release)
		: owner_(std::move(owner)), object_(object), value_(value), release_(release)
	{
	}
	BackendHold(BackendHold &&other) noexcept
		: owner_(std::move(other.owner_)), object_(other.object_), value_(other.value_),
		  release_(std::exchange(other.release_, nullptr))
	{
	}
	BackendHold &operator=(BackendHold &&other) noexcept
	{
		if (this != &other) {
			releaseObject();
			owner_ = std::move(other.owner_);
			object_ = other.object_;
			value_ = other.value_;
			release_ = std::exchange(other.release_, nullptr);
		}
		return *this;
	}
	BackendHold(const BackendHold &) = delete;
	BackendHold &operator=(const BackendHold &) = delete;
	/// Releases the object, then (a member) the owner.
	~BackendHold() { releaseObject(); }

	explicit operator bool() const { return release_ != nullptr; }

private:
	/// The object's release, when one is held; its owner goes after (member or assignment).
	void releaseObject()
	{
		if (release_)
			release_(object_, value_);
	}

	std::shared_ptr<void> owner_; ///< outlives the object: released after it
	void *object_ = nullptr;
	uint64_t value_ = 0;
	Release release_ = nullptr; ///< null: nothing held
};

/// One descriptor an allocator made.
struct AllocatedMemory {
	SharedFd fd;
	/// The descriptor's size when the backend knows it by construction (the length it
	/// asked the kernel for); 0, and Allocator::allocate() asks the kernel (lseek).
	/// HBM_VERIFY_ALLOCATIONS=1 checks every reported size and fd type with the kernel.
	uint64_t size = 0;
};

/// What an allocator makes: the layout it produced, its descriptors and which plane lies in
/// which. Allocator::allocate() hands the backend the empty Allocation of the buffer that
/// will own it (Buffer::Private::storage), so what the backend writes is never moved again.
struct Allocation {
	Layout layout;
	PlaneArray<AllocatedMemory> memories; ///< one per descriptor (planes of one dma-buf share one)
	PlaneArray<uint8_t> planeMemory;      ///< per plane of the layout: the index of its memory
	/// A backend object the storage depends on (a gbm_bo), released with the buffer.
	BackendHold keepAlive;
	/// The memories' sizes are the extent of the backend's own planes (GBM: Mesa's offsets
	/// and strides), not lengths it asked the kernel for: a lower bound, not asked of the
	/// kernel per buffer. The first CPU mapping checks it (lseek), and devices importing
	/// the dma-buf have the kernel check their own extent.
	bool sizesClaimed = false;

	/// Every plane of the layout (already written) in one descriptor @fd of @fdSize bytes
	/// (0: unknown) — the shape of most single-allocation backends' results.
	void holdAllPlanesIn(SharedFd &&fd, uint64_t fdSize)
	{
		memories.emplace_back(std::move(fd), fdSize); // made in place
		planeMemory.assign(layout.planes.size(), 0);
	}
	const SharedFd &planeFd(size_t plane) const { return memories[planeMemory[plane]].fd; }
};

/// The seam every backend implements (wlroots' wlr_allocator, KWin's
/// GraphicsBufferAllocator). Backends implement doAllocate(); allocate() checks what
/// every backend promises, so no broken allocation reaches a user.
class Allocator
{
public:
	explicit Allocator(AllocatorInfo info) : Allocator(std::move(info), false) {}
	virtual ~Allocator() = default;
	Allocator(const Allocator &) = delete;
	Allocator &operator=(const Allocator &) = delete;

	const AllocatorInfo &info() const { return info_; }
	/// info().name, interned (base/interned.hpp): what a buffer it made names as its origin.
	const std::string &internedName() const { return *name_; }
	/// The registry renames one of two allocators that would share a name.
	void rename(std::string name)
	{
		info_.name = std::move(name);
		name_ = &interned(info_.name);
		serial_ = nextSerial();
	}
	/// What configuration declares and the kernel cannot tell (`[heap.NAME]`).
	void declare(std::optional<bool> contiguous, std::optional<bool> cached, uint64_t memoryEnd)
	{
		if (contiguous)
			info_.contiguous = *contiguous;
		if (cached)
			info_.cached = *cached;
		if (memoryEnd)
			info_.memoryEnd = memoryEnd;
		serial_ = nextSerial();
	}

	/// Refuses requests outside the declared formats or size, then has the backend write its
	/// allocation into @out (empty; the buffer's own, so nothing is moved afterwards) and
	/// checks it: size, format, a modifier that was asked for, plane and descriptor counts,
	/// every plane inside its descriptor's size. With HBM_VERIFY_ALLOCATIONS=1 (the test
	/// suites) it also asks the kernel: each reported size is the real one, dma-bufs exactly
	/// when declared. On failure @out may hold what the backend made: its owner releases it.
	Result<void> allocate(const AllocationRequest &request, Allocation &out);

protected:
	/// Writes the allocation into @out, which is empty.
	virtual Result<void> doAllocate(const AllocationRequest &request, Allocation &out) = 0;
	AllocatorInfo info_;

private:
	friend class ByteAllocator;
	/// @coreLaysOut: the layout is the core's own (linearLayout()) in one descriptor whose
	/// bytes ByteAllocator::checkedBytes() checked, so what allocate() checks of an image
	/// backend holds by construction.
	Allocator(AllocatorInfo info, bool coreLaysOut)
		: info_(std::move(info)), name_(&interned(info_.name)), serial_(nextSerial()), coreLaysOut_(coreLaysOut)
	{
	}
	/// Names this allocator with what it declares, for answers kept between requests: a new
	/// number whenever info_ changes, never one another allocator (even at the same
	/// address) had.
	static uint64_t nextSerial();
	const std::string *name_;
	uint64_t serial_;
	const bool coreLaysOut_;
};

/// What the core asks of a byte allocator: @size bytes starting at a multiple of
/// @alignment (a power of two) inside the descriptor. A struct, as AllocationRequest.
struct ByteRequest {
	uint64_t size = 0;
	uint64_t alignment = 1;
};

/// Bytes a byte allocator hands back: [offset, offset + size) of @fd.
struct Bytes {
	SharedFd fd;
	uint64_t offset = 0; ///< 0 unless the allocator sub-allocates one dma-buf (regions)
	uint64_t size = 0;   ///< at least the size asked for (heaps round to pages)
	/// The descriptor's whole size when the backend knows it by construction; 0, and
	/// allocateBytes() asks the kernel (lseek). HBM_VERIFY_ALLOCATIONS=1 checks it anyway.
	uint64_t fdSize = 0;
	/// What the bytes depend on (a CMA heap's count of what is held, a region's range),
	/// released with them.
	BackendHold keepAlive;
};

/// An allocator that gives bytes (dma-heaps, udmabuf, memfd, regions): the core lays an
/// image out once (linearLayout()) and asks for that many bytes. Backends implement
/// doAllocateBytes(); allocateBytes() checks what every byte allocator promises.
class ByteAllocator : public Allocator
{
public:
	explicit ByteAllocator(AllocatorInfo info) : Allocator(std::move(info), true) {}

	/// Refuses a zero size or an alignment that is not a power of two, then checks the
	/// result: a descriptor whose real size (lseek) holds [offset, offset + size), at
	/// least the bytes asked for, starting at a multiple of the alignment.
	Result<Bytes> allocateBytes(const ByteRequest &request);

protected:
	/// Writes the bytes into @out, empty on entry (as doAllocate() writes an Allocation):
	/// what is written before a failure is released with it.
	virtual Result<void> doAllocateBytes(const ByteRequest &request, Bytes &out) = 0;

private:
	friend class Allocator; // whose allocate() calls imageFromBytes() directly
	/// The image path: imageFromBytes(). Allocator::allocate() calls that itself.
	Result<void> doAllocate(const AllocationRequest &request, Allocation &out) final;
	/// The linear layout, then its bytes, into @out.
	Result<void> imageFromBytes(const AllocationRequest &request, Allocation &out);
	/// doAllocateBytes() and the checks of allocateBytes(), into @out.
	Result<void> checkedBytes(const ByteRequest &request, Bytes &out);
};

/// Every known format with a linear layout: what memory laid out by hbm can hold.
FormatSet linearFormats();

} // namespace hbm
