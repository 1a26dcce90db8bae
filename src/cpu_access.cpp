// SPDX-License-Identifier: MIT
// CPU access: DMA_BUF_IOCTL_SYNC brackets, counted so nested access issues none.
#include <hbm/buffer.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>

#include "buffer_private.hpp"
#include "base/dma_buf.hpp"
#include "base/error.hpp"
#include "base/kernel_ioctl.hpp"
#include "base/log.hpp"

namespace hbm {

namespace {
LogCategory logCpu("cpu-access");
}

Result<CpuAccess> Buffer::beginCpuAccess(CpuAccessMode mode)
{
	unsigned wanted = syncFlags(mode);
	if (wanted == 0)
		return makeError(EINVAL, "CPU access mode %u is neither read nor write",
				 static_cast<unsigned>(mode));

	std::lock_guard lock(d_->mutex);
	// Mapped with the rights the descriptor has: a read-only dma-buf (gbm_bo_get_fd()'s,
	// one opened O_RDONLY) cannot be mapped for writing, but can be read.
	// Mapped in order: d_->mappings holds those mapped so far, and a failure leaves them.
	Allocation &storage = d_->storage;
	for (size_t i = d_->mappings.size(); i < storage.memories.size(); ++i) {
		AllocatedMemory &m = storage.memories[i];
		const int rights = accessMode(m.fd.get());
		if (rights < 0)
			return makeError(-rights, "cannot tell how fd %d of the %s buffer was opened (F_GETFL)", m.fd.get(),
					 d_->provenance.origin->c_str());
		if (rights & O_PATH)
			return makeError(EBADF, "the %s buffer's fd %d is an O_PATH descriptor: it names a dma-buf but gives no access to it",
					 d_->provenance.origin->c_str(), m.fd.get());
		if (rights == O_WRONLY)
			return makeError(EACCES, "the %s buffer was imported write-only (its fd is O_WRONLY): it cannot be mapped",
					 d_->provenance.origin->c_str());
		if (storage.sizesClaimed) {
			// The backend's word (GBM's plane extent) is checked where a wrong one would
			// hurt: mapping past the real end would fault on first touch. Devices importing
			// the dma-buf have the kernel check their own extent.
			const int64_t real = fileSize(m.fd.get());
			if (real < 0)
				return makeError(int(-real), "cannot find the size of fd %d of the %s buffer",
						 m.fd.get(), d_->provenance.origin->c_str());
			if (uint64_t(real) < m.size)
				return makeError(
					EPROTO,
					"%s broke its promise: its planes reach byte %llu of a %lld-byte dma-buf",
					d_->provenance.origin->c_str(), (unsigned long long)m.size, (long long)real);
			m.size = uint64_t(real);
		}
		auto mapping = Mapping::map(m.fd.get(), m.size, rights == O_RDWR);
		if (!mapping)
			return withContext(mapping.error(), "mapping " + *d_->provenance.origin + " buffer");
		d_->mappings.emplace_back(MemoryMapping{std::move(*mapping), rights == O_RDWR});
	}
	storage.sizesClaimed = false; // every size is the kernel's now
	if (wanted & DMA_BUF_SYNC_WRITE)
		for (const MemoryMapping &m : d_->mappings)
			if (!m.writable)
				return makeError(EACCES, "%s access refused: the %s buffer was imported read-only (its fd is "
						 "O_RDONLY): it can be read, not written",
						 wanted & DMA_BUF_SYNC_READ ? "read-write" : "write",
						 d_->provenance.origin->c_str());

	// Already in the CPU domain with at least these rights: the kernel has nothing to do.
	if (d_->accessDepth == 0 || (wanted & ~d_->accessFlags)) {
		unsigned flags = wanted | d_->accessFlags;
		for (size_t i = 0; d_->dmaBuf && i < storage.memories.size(); ++i) {
			int ret = dmaBufSync(storage.memories[i].fd.get(), DMA_BUF_SYNC_START | flags);
			if (ret < 0) {
				// Close the brackets already opened, so the kernel's view stays balanced.
				for (size_t j = 0; j < i && d_->accessDepth == 0; ++j)
					dmaBufSync(storage.memories[j].fd.get(), DMA_BUF_SYNC_END | flags);
				return makeError(-ret, "DMA_BUF_IOCTL_SYNC start on %s buffer failed",
						 d_->provenance.origin->c_str());
			}
		}
		d_->accessFlags = flags;
		HBM_LOG(logCpu, Debug, "sync start (flags %u) on %s", flags, d_->provenance.origin->c_str());
	}
	++d_->accessDepth;
	return CpuAccess(shared_from_this(), mode);
}

CpuAccess::CpuAccess(std::shared_ptr<Buffer> buffer, CpuAccessMode mode)
	: buffer_(std::move(buffer)), mode_(mode)
{
}

CpuAccess::CpuAccess(CpuAccess &&other) noexcept
	: buffer_(std::move(other.buffer_)), mode_(other.mode_)
{
}

CpuAccess &CpuAccess::operator=(CpuAccess &&other) noexcept
{
	if (this != &other) {
		(void)end();
		buffer_ = std::move(other.buffer_);
		mode_ = other.mode_;
	}
	return *this;
}

CpuAccess::~CpuAccess()
{
	auto result = end();
	if (!result)
		HBM_LOG(logCpu, Error, "%s", result.error().toString().c_str());
}

std::span<uint8_t> CpuAccess::plane(size_t index) const
{
	if (!buffer_ || index >= buffer_->d_->layout().planes.size())
		return {};
	const auto &d = *buffer_->d_;
	const PlaneLayout &plane = d.layout().planes[index];
	const MemoryMapping &m = d.mappings[d.storage.planeMemory[index]];
	return {m.mapping.data() + plane.offset, static_cast<size_t>(plane.size)};
}

uint32_t CpuAccess::stride(size_t index) const
{
	if (!buffer_ || index >= buffer_->d_->layout().planes.size())
		return 0;
	return buffer_->d_->layout().planes[index].stride;
}

Result<void> CpuAccess::end()
{
	if (!buffer_)
		return {};
	std::shared_ptr<Buffer> buffer = std::move(buffer_);
	auto &d = *buffer->d_;
	std::lock_guard lock(d.mutex);
	if (--d.accessDepth > 0)
		return {};
	unsigned flags = d.accessFlags;
	d.accessFlags = 0;
	Result<void> result;
	for (size_t i = 0; d.dmaBuf && i < d.storage.memories.size(); ++i) {
		const AllocatedMemory &m = d.storage.memories[i];
		int ret = dmaBufSync(m.fd.get(), DMA_BUF_SYNC_END | flags);
		if (ret < 0 && result)
			result = makeError(-ret, "DMA_BUF_IOCTL_SYNC end on %s buffer failed", d.provenance.origin->c_str());
	}
	HBM_LOG(logCpu, Debug, "sync end (flags %u) on %s", flags, d.provenance.origin->c_str());
	return result;
}

} // namespace hbm
