// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <hbm/export.h>
#include <hbm/layout.hpp>
#include <hbm/result.hpp>
#include <hbm/shared_fd.hpp>

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

/// Image memory shared with devices through a dma-buf. Always held by std::shared_ptr;
/// the storage, its fd and its CPU mapping go away with the last reference.
class HBM_EXPORT Buffer : public std::enable_shared_from_this<Buffer>
{
public:
	/// Allocates a linear buffer from the dma-heap named @heap (see listHeaps()). An
	/// unknown heap is refused with the list of heaps that exist.
	static Result<std::shared_ptr<Buffer>> allocateFromHeap(const BufferDesc &desc,
								const std::string &heap,
								const LinearRules &rules = {});

	~Buffer();
	Buffer(const Buffer &) = delete;
	Buffer &operator=(const Buffer &) = delete;

	const Layout &layout() const;
	uint32_t width() const { return layout().width; }
	uint32_t height() const { return layout().height; }
	uint32_t format() const { return layout().format; }
	uint64_t modifier() const { return layout().modifier; }

	/// The dma-buf holding every plane (planes differ by offset).
	const SharedFd &fd() const;
	/// Where the storage came from, e.g. "dma-heap:system".
	const std::string &origin() const;

	/// Brackets CPU access with DMA_BUF_IOCTL_SYNC: start now, end when the returned
	/// object is destroyed or ended. The mapping is made on first use and kept. Access
	/// nested inside another (same or narrower mode) issues no further sync.
	Result<CpuAccess> beginCpuAccess(CpuAccessMode mode);

	struct Private;

private:
	friend class CpuAccess;
	explicit Buffer(std::unique_ptr<Private> d);
	std::unique_ptr<Private> d_;
};

/// The CPU's view of a buffer between sync start and end. Move-only.
class HBM_EXPORT CpuAccess
{
public:
	CpuAccess(CpuAccess &&other) noexcept;
	CpuAccess &operator=(CpuAccess &&other) noexcept;
	CpuAccess(const CpuAccess &) = delete;
	CpuAccess &operator=(const CpuAccess &) = delete;
	~CpuAccess();

	/// Bytes of plane @index: offset .. offset + size of the mapping.
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
