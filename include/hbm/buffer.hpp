// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <hbm/export.h>
#include <hbm/import_fault.hpp>
#include <hbm/layout.hpp>
#include <hbm/negotiation.hpp>
#include <hbm/participant.hpp>
#include <hbm/result.hpp>
#include <hbm/shared_fd.hpp>
#include <hbm/unique_fd.hpp>

namespace hbm {

class CpuAccess;

enum class CpuAccessMode : unsigned {
	Read = 1,
	Write = 2,
	ReadWrite = 3,
};

/// What the caller wants: an image size and a format.
struct BufferDesc {
	uint32_t width = 0;
	uint32_t height = 0;
	uint32_t format = 0; ///< DRM fourcc
};

/// One plane of a buffer made elsewhere (gbm_import_fd_modifier_data's shape). The fd is
/// the caller's: hbm takes its own duplicate.
struct PlaneImport {
	int fd = -1;
	uint64_t offset = 0;
	uint32_t stride = 0;
};

struct ImportDesc {
	uint32_t width = 0;
	uint32_t height = 0;
	uint32_t format = 0;
	uint64_t modifier = 0; ///< DRM_FORMAT_MOD_LINEAR by default
	std::vector<PlaneImport> planes;
};

/// A plane handed out: a descriptor of the caller's own, with where the plane lies in it.
struct PlaneExport {
	UniqueFd fd;
	uint64_t offset = 0;
	uint32_t stride = 0;
};

/// Image memory, usually a dma-buf that devices can import. Always held by
/// std::shared_ptr; its descriptors, mappings and backend objects go with the last
/// reference. Made by BufferDescription::allocate(), Context::allocate(), Buffer::import()
/// or receiveBuffer(). Its layout and storage never change after creation.
///
/// Thread-safety: every method may be called from any thread at the same time. Accessors
/// read state that never changes; CPU access bookkeeping and the participant list are
/// guarded by the buffer's lock.
class HBM_EXPORT Buffer : public std::enable_shared_from_this<Buffer>
{
public:
	/// Wraps dma-bufs made elsewhere. Everything is checked before it is trusted: each fd
	/// is an open dma-buf, the plane count suits the format and modifier, strides hold a
	/// row, and every plane lies inside its dma-buf's real size (no overflow). A refused
	/// layout's Error carries the fault as data (Error::importFault).
	static Result<std::shared_ptr<Buffer>> import(const ImportDesc &desc);

	~Buffer();
	Buffer(const Buffer &) = delete;
	Buffer &operator=(const Buffer &) = delete;

	const Layout &layout() const;
	uint32_t width() const { return layout().width; }
	uint32_t height() const { return layout().height; }
	uint32_t format() const { return layout().format; }
	uint64_t modifier() const { return layout().modifier; }
	size_t planeCount() const { return layout().planes.size(); }

	/// The descriptor holding plane @index (planes of one allocation share it).
	const SharedFd &planeFd(size_t index) const;
	/// Number of distinct memory objects (dma-bufs) behind the planes.
	size_t memoryCount() const;

	/// Where the storage came from: "dma-heap:system", "gbm:vkms", "import" …
	const std::string &origin() const;
	/// False for memory no device can import (memfd).
	bool deviceImportable() const;

	/// Whether @participant could use the buffer as it is: checked against the storage
	/// (format, modifier, alignment, size, placement) by the same rule negotiation uses; a
	/// refusal carries the rejection (Error::refusal). Records nothing.
	Result<void> check(const Participant &participant) const;
	/// Adds a device that will touch the buffer as it is: check(), then the participant is
	/// recorded; a refusal changes nothing.
	Result<void> attach(const Participant &participant);
	/// The participants the buffer was negotiated for, and those attached since.
	std::vector<Participant> participants() const;
	/// The plan the storage was made from; empty for buffers made without negotiation.
	const std::optional<Plan> &plan() const;

	/// Every plane as a descriptor of the caller's own (dup'd, close-on-exec).
	Result<PlaneArray<PlaneExport>> exportPlanes() const;

	/// Brackets CPU access with DMA_BUF_IOCTL_SYNC: start now, end when the returned
	/// object is destroyed or ended. The mapping is made on first use and kept. Access
	/// nested inside another with the same or narrower rights issues no further sync.
	/// Memory is mapped with the rights its descriptor has: a buffer imported from a
	/// read-only dma-buf (opened O_RDONLY, as gbm_bo_get_fd() exports) is mapped read-only
	/// and a Write or ReadWrite access to it is refused (EACCES).
	Result<CpuAccess> beginCpuAccess(CpuAccessMode mode);

	/// The fences a CPU access of @mode would wait for, as one sync_file
	/// (DMA_BUF_IOCTL_EXPORT_SYNC_FILE): writers for Read, everyone for Write.
	Result<UniqueFd> exportSyncFile(CpuAccessMode mode) const;
	/// Adds a device's fence to the buffer (DMA_BUF_IOCTL_IMPORT_SYNC_FILE): Write for a
	/// device that writes, Read for one that only reads.
	Result<void> importSyncFile(int syncFile, CpuAccessMode mode);
	/// Waits until a CPU access of @mode would not block (poll on the dma-buf). Returns
	/// false on timeout; @timeoutMs < 0 waits forever.
	Result<bool> waitIdle(CpuAccessMode mode, int timeoutMs) const;

	/// Defined inside the library only: a Buffer cannot be made outside it. The library
	/// makes a Buffer, its Private and their reference count in one allocation: @d lives
	/// exactly as long as the Buffer.
	struct Private;
	explicit Buffer(Private *d);

private:
	friend class CpuAccess;
	friend struct BufferFactory;
	Private *d_;
};

/// The CPU's view of a buffer between sync start and end. Move-only, one owner at a time
/// (several threads may each hold their own CpuAccess of one buffer). It keeps its buffer
/// alive, so a pool does not hand the buffer out while it exists.
class HBM_EXPORT CpuAccess
{
public:
	CpuAccess(CpuAccess &&other) noexcept;
	CpuAccess &operator=(CpuAccess &&other) noexcept;
	CpuAccess(const CpuAccess &) = delete;
	CpuAccess &operator=(const CpuAccess &) = delete;
	~CpuAccess();

	/// Bytes of plane @index (its layout size), empty if out of range. Under a Read access
	/// they may be mapped read-only: writing them then faults.
	std::span<uint8_t> plane(size_t index) const;
	uint32_t stride(size_t index) const;
	CpuAccessMode mode() const { return mode_; }

	/// Ends access now (the destructor does it otherwise, logging a failure it cannot
	/// return). Further calls do nothing.
	Result<void> end();

private:
	friend class Buffer;
	CpuAccess(std::shared_ptr<Buffer> buffer, CpuAccessMode mode);
	std::shared_ptr<Buffer> buffer_;
	CpuAccessMode mode_;
};

} // namespace hbm
