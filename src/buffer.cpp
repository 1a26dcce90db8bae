// SPDX-License-Identifier: MIT
#include <hbm/buffer.hpp>

#include <algorithm>
#include <cerrno>

#include <linux/dma-buf.h>

#include <hbm/format.hpp>
#include <hbm/heap.hpp>

#include "backends/dma_heap/dma_heap.hpp"
#include "buffer_private.hpp"
#include "dma_buf.hpp"
#include "error.hpp"
#include "log.hpp"
#include "string_format.hpp"

namespace hbm {

namespace {

LogCategory logBuffer("buffer");
LogCategory logCpu("cpu-access");

unsigned syncFlags(CpuAccessMode mode)
{
	unsigned flags = 0;
	if (static_cast<unsigned>(mode) & static_cast<unsigned>(CpuAccessMode::Read))
		flags |= DMA_BUF_SYNC_READ;
	if (static_cast<unsigned>(mode) & static_cast<unsigned>(CpuAccessMode::Write))
		flags |= DMA_BUF_SYNC_WRITE;
	return flags;
}

} // namespace

Buffer::Buffer(std::unique_ptr<Private> d) : d_(std::move(d)) {}

Buffer::~Buffer() = default;

const Layout &Buffer::layout() const
{
	return d_->layout;
}

const SharedFd &Buffer::fd() const
{
	return d_->fd;
}

const std::string &Buffer::origin() const
{
	return d_->origin;
}

Result<std::shared_ptr<Buffer>> Buffer::allocateFromHeap(const BufferDesc &desc, const std::string &heapName,
							  const LinearRules &rules)
{
	auto layout = linearLayout(desc.format, desc.width, desc.height, rules);
	if (!layout)
		return layout.error();

	auto heaps = listHeaps();
	if (!heaps)
		return heaps.error();
	auto heap = std::find_if(heaps->begin(), heaps->end(),
				 [&](const HeapInfo &h) { return h.name == heapName; });
	if (heap == heaps->end()) {
		std::string names;
		for (const HeapInfo &h : *heaps)
			names += (names.empty() ? "" : ", ") + h.name;
		return makeError(ENOENT, "no dma-heap named '%s' (heaps here: %s)", heapName.c_str(),
				 names.empty() ? "none, /dev/dma_heap is missing or empty" : names.c_str());
	}

	auto fd = dma_heap::allocate(*heap, layout->size);
	if (!fd)
		return withContext(fd.error(), stringf("%ux%u %s", desc.width, desc.height,
						       formatName(desc.format).c_str()));

	auto d = std::make_unique<Private>();
	d->layout = std::move(*layout);
	d->fd = SharedFd(std::move(*fd));
	d->origin = "dma-heap:" + heap->name;
	HBM_LOG(logBuffer, Debug, "%ux%u %s: %llu bytes from %s", desc.width, desc.height,
		formatName(desc.format).c_str(), static_cast<unsigned long long>(d->layout.size),
		d->origin.c_str());
	return std::shared_ptr<Buffer>(new Buffer(std::move(d)));
}

Result<CpuAccess> Buffer::beginCpuAccess(CpuAccessMode mode)
{
	unsigned wanted = syncFlags(mode);
	if (wanted == 0)
		return makeError(EINVAL, "CPU access mode %u is neither read nor write",
				 static_cast<unsigned>(mode));

	std::lock_guard lock(d_->mutex);
	if (!d_->mapping.isValid()) {
		auto mapping = Mapping::map(d_->fd.get(), d_->layout.size);
		if (!mapping)
			return withContext(mapping.error(), "mapping " + d_->origin + " buffer");
		d_->mapping = std::move(*mapping);
	}

	// Already in the CPU domain with at least these rights: the kernel has nothing to do.
	if (d_->accessDepth == 0 || (wanted & ~d_->accessFlags)) {
		unsigned flags = wanted | d_->accessFlags;
		int ret = dmaBufSync(d_->fd.get(), DMA_BUF_SYNC_START | flags);
		if (ret < 0)
			return makeError(-ret, "DMA_BUF_IOCTL_SYNC start on %s buffer failed", d_->origin.c_str());
		d_->accessFlags = flags;
		HBM_LOG(logCpu, Debug, "sync start (flags %u) on %s", flags, d_->origin.c_str());
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
	if (!buffer_ || index >= buffer_->d_->layout.planes.size())
		return {};
	const auto &d = *buffer_->d_;
	const PlaneLayout &plane = d.layout.planes[index];
	return {d.mapping.data() + plane.offset, static_cast<size_t>(plane.size)};
}

uint32_t CpuAccess::stride(size_t index) const
{
	if (!buffer_ || index >= buffer_->d_->layout.planes.size())
		return 0;
	return buffer_->d_->layout.planes[index].stride;
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
	int ret = dmaBufSync(d.fd.get(), DMA_BUF_SYNC_END | flags);
	if (ret < 0)
		return makeError(-ret, "DMA_BUF_IOCTL_SYNC end on %s buffer failed", d.origin.c_str());
	HBM_LOG(logCpu, Debug, "sync end (flags %u) on %s", flags, d.origin.c_str());
	return {};
}

} // namespace hbm
