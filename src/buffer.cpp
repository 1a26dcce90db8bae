// SPDX-License-Identifier: MIT
#include <hbm/buffer.hpp>

#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <linux/dma-buf.h>
#include <linux/magic.h>
#include <linux/sync_file.h>

#include <hbm/format.hpp>

#include "buffer_private.hpp"
#include "dma_buf.hpp"
#include "error.hpp"
#include "kernel_ioctl.hpp"
#include "system_memory.hpp"
#include "trace.hpp"
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

bool isDmaBuf(int fd)
{
	struct statfs fs;
	return ::fstatfs(fd, &fs) == 0 && fs.f_type == DMA_BUF_MAGIC;
}

bool sameFile(int a, int b)
{
	struct stat sa, sb;
	return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/// SYNC_IOC_MERGE of two sync_files into a new one.
Result<UniqueFd> mergeSyncFiles(int a, int b)
{
	struct sync_merge_data merge = {};
	std::snprintf(merge.name, sizeof(merge.name), "hbm");
	merge.fd2 = b;
	int ret = retryingIoctl(a, SYNC_IOC_MERGE, &merge);
	if (ret < 0)
		return makeError(-ret, "SYNC_IOC_MERGE failed");
	return UniqueFd(merge.fence);
}

} // namespace

Result<std::shared_ptr<Buffer>> BufferFactory::create(Layout layout, std::vector<SharedFd> planeFds,
						       Provenance provenance)
{
	if (planeFds.size() != layout.planes.size())
		return makeError(EINVAL, "%zu descriptors for %zu planes", planeFds.size(), layout.planes.size());
	auto d = std::make_unique<Buffer::Private>();
	for (SharedFd &fd : planeFds) {
		auto same = std::find_if(d->memories.begin(), d->memories.end(), [&](const Memory &m) {
			return m.fd == fd || sameFile(m.fd.get(), fd.get());
		});
		if (same == d->memories.end()) {
			int64_t size = fileSize(fd.get());
			if (size < 0)
				return makeError(int(-size), "cannot find the size of descriptor %d", fd.get());
			Memory m;
			m.fd = fd;
			m.size = uint64_t(size);
			m.dmaBuf = isDmaBuf(fd.get());
			d->memories.push_back(std::move(m));
			same = d->memories.end() - 1;
		}
		d->planeMemory.push_back(size_t(same - d->memories.begin()));
	}
	d->layout = std::move(layout);
	d->participants = provenance.participants;
	d->provenance = std::move(provenance);
	HBM_LOG(logBuffer, Debug, "%ux%u %s, modifier %s, %zu planes in %zu memory objects, from %s",
		d->layout.width, d->layout.height, formatName(d->layout.format).c_str(),
		modifierName(d->layout.modifier).c_str(), d->layout.planes.size(), d->memories.size(),
		d->provenance.origin.c_str());
	return std::make_shared<Buffer>(std::move(d));
}

std::shared_ptr<Buffer> BufferFactory::fromCheckedAllocation(Layout layout, std::vector<SharedFd> planeFds,
							     std::vector<uint64_t> planeFdSizes, bool dmaBuf,
							     Provenance provenance)
{
	auto d = std::make_unique<Buffer::Private>();
	d->memories.reserve(1);
	d->planeMemory.reserve(planeFds.size());
	for (size_t i = 0; i < planeFds.size(); ++i) {
		size_t m = 0;
		while (m < d->memories.size() && !(d->memories[m].fd == planeFds[i]))
			++m;
		if (m == d->memories.size()) {
			Memory memory;
			memory.fd = planeFds[i];
			memory.size = planeFdSizes[i];
			memory.dmaBuf = dmaBuf;
			d->memories.push_back(std::move(memory));
		}
		d->planeMemory.push_back(m);
	}
	d->layout = std::move(layout);
	d->participants = provenance.participants;
	d->provenance = std::move(provenance);
	return std::make_shared<Buffer>(std::move(d));
}

Capabilities storageCapabilities(const Buffer::Private &buffer)
{
	const Provenance &p = buffer.provenance;
	Capabilities c;
	c.origin = p.origin;
	c.formats.add(buffer.layout.format, buffer.layout.modifier);
	c.deviceImportable = std::all_of(buffer.memories.begin(), buffer.memories.end(),
					 [](const Memory &m) { return m.dmaBuf; });
	c.contiguous = p.contiguous;
	c.cached = p.cached;
	c.memoryEnd = p.memoryEnd;
	c.device = p.device;
	return c;
}

Buffer::Private::~Private()
{
	trace::recordRelease(provenance.traceId);
}

Buffer::Buffer(std::unique_ptr<Private> d) : d_(std::move(d)) {}

std::vector<Participant> Buffer::participants() const
{
	std::lock_guard lock(d_->mutex);
	return d_->participants;
}

const std::optional<Plan> &Buffer::plan() const
{
	return d_->provenance.plan;
}

Result<void> Buffer::attach(const Participant &participant)
{
	auto combined = combineConstraints({participant});
	if (!combined)
		return combined.error();
	const Layout &l = d_->layout;
	Candidate candidate{l.width, l.height, l.format, l.modifier, &l};
	if (auto rejected = checkCandidate(*combined, storageCapabilities(*d_), candidate, systemRamTop())) {
		// Name the buffer, not an allocator: the storage is what the participant refuses.
		rejected->allocator.clear();
		return refusalError(EINVAL, Refusal{participant.name() + " cannot use this " + d_->provenance.origin +
							    " buffer",
						    {std::move(*rejected)},
						    "negotiate a new buffer with it attached before allocation"});
	}
	std::lock_guard lock(d_->mutex);
	d_->participants.push_back(participant);
	return {};
}

Buffer::~Buffer() = default;

const Layout &Buffer::layout() const
{
	return d_->layout;
}

const SharedFd &Buffer::planeFd(size_t index) const
{
	static const SharedFd none;
	return index < d_->planeMemory.size() ? d_->memories[d_->planeMemory[index]].fd : none;
}

size_t Buffer::memoryCount() const
{
	return d_->memories.size();
}

const std::string &Buffer::origin() const
{
	return d_->provenance.origin;
}

bool Buffer::deviceImportable() const
{
	return std::all_of(d_->memories.begin(), d_->memories.end(), [](const Memory &m) { return m.dmaBuf; });
}

Result<std::vector<PlaneExport>> Buffer::exportPlanes() const
{
	std::vector<PlaneExport> planes;
	for (size_t i = 0; i < d_->layout.planes.size(); ++i) {
		PlaneExport p;
		p.fd = planeFd(i).duplicate();
		if (!p.fd)
			return makeError(errno, "cannot duplicate the descriptor of plane %zu", i);
		p.offset = d_->layout.planes[i].offset;
		p.stride = d_->layout.planes[i].stride;
		planes.push_back(std::move(p));
	}
	return planes;
}

Result<CpuAccess> Buffer::beginCpuAccess(CpuAccessMode mode)
{
	unsigned wanted = syncFlags(mode);
	if (wanted == 0)
		return makeError(EINVAL, "CPU access mode %u is neither read nor write",
				 static_cast<unsigned>(mode));

	std::lock_guard lock(d_->mutex);
	for (Memory &m : d_->memories) {
		if (m.mapping.isValid())
			continue;
		auto mapping = Mapping::map(m.fd.get(), m.size);
		if (!mapping)
			return withContext(mapping.error(), "mapping " + d_->provenance.origin + " buffer");
		m.mapping = std::move(*mapping);
	}

	// Already in the CPU domain with at least these rights: the kernel has nothing to do.
	if (d_->accessDepth == 0 || (wanted & ~d_->accessFlags)) {
		unsigned flags = wanted | d_->accessFlags;
		for (size_t i = 0; i < d_->memories.size(); ++i) {
			const Memory &m = d_->memories[i];
			if (!m.dmaBuf)
				continue;
			int ret = dmaBufSync(m.fd.get(), DMA_BUF_SYNC_START | flags);
			if (ret < 0) {
				// Close the brackets already opened, so the kernel's view stays balanced.
				for (size_t j = 0; j < i; ++j)
					if (d_->memories[j].dmaBuf && d_->accessDepth == 0)
						dmaBufSync(d_->memories[j].fd.get(), DMA_BUF_SYNC_END | flags);
				return makeError(-ret, "DMA_BUF_IOCTL_SYNC start on %s buffer failed",
						 d_->provenance.origin.c_str());
			}
		}
		d_->accessFlags = flags;
		HBM_LOG(logCpu, Debug, "sync start (flags %u) on %s", flags, d_->provenance.origin.c_str());
	}
	++d_->accessDepth;
	return CpuAccess(shared_from_this(), mode);
}

Result<UniqueFd> Buffer::exportSyncFile(CpuAccessMode mode) const
{
	UniqueFd merged;
	for (const Memory &m : d_->memories) {
		if (!m.dmaBuf)
			return makeError(ENOTSUP, "%s memory is not a dma-buf and carries no fences",
					 d_->provenance.origin.c_str());
		struct dma_buf_export_sync_file exp = {};
		exp.flags = syncFlags(mode);
		exp.fd = -1;
		int ret = retryingIoctl(m.fd.get(), DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp);
		if (ret < 0)
			return makeError(-ret, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE on %s buffer failed",
					 d_->provenance.origin.c_str());
		UniqueFd fence(exp.fd);
		if (!merged) {
			merged = std::move(fence);
			continue;
		}
		auto both = mergeSyncFiles(merged.get(), fence.get());
		if (!both)
			return both.error();
		merged = std::move(*both);
	}
	return merged;
}

Result<void> Buffer::importSyncFile(int syncFile, CpuAccessMode mode)
{
	for (const Memory &m : d_->memories) {
		if (!m.dmaBuf)
			return makeError(ENOTSUP, "%s memory is not a dma-buf and takes no fences",
					 d_->provenance.origin.c_str());
		struct dma_buf_import_sync_file imp = {};
		imp.flags = syncFlags(mode);
		imp.fd = syncFile;
		int ret = retryingIoctl(m.fd.get(), DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp);
		if (ret < 0)
			return makeError(-ret, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE of fd %d into %s buffer failed",
					 syncFile, d_->provenance.origin.c_str());
	}
	return {};
}

Result<bool> Buffer::waitIdle(CpuAccessMode mode, int timeoutMs) const
{
	// dma-buf poll: POLLIN once the writers are done (safe to read), POLLOUT once every
	// fence is (safe to write).
	const short events = (syncFlags(mode) & DMA_BUF_SYNC_WRITE) ? POLLOUT : POLLIN;
	std::vector<struct pollfd> fds;
	for (const Memory &m : d_->memories)
		if (m.dmaBuf)
			fds.push_back({m.fd.get(), events, 0});
	if (fds.empty())
		return true;
	size_t ready = 0;
	while (ready < fds.size()) {
		int ret = ::poll(fds.data(), fds.size(), timeoutMs);
		if (ret < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (ret < 0)
			return makeError(errno, "poll on %s buffer failed", d_->provenance.origin.c_str());
		if (ret == 0)
			return false;
		ready = 0;
		for (struct pollfd &p : fds) {
			if (p.revents & events) {
				p.events = 0; // done with this one
				++ready;
			} else if (p.events == 0) {
				++ready;
			}
		}
	}
	return true;
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
	const Memory &m = d.memories[d.planeMemory[index]];
	return {m.mapping.data() + plane.offset, static_cast<size_t>(plane.size)};
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
	Result<void> result;
	for (const Memory &m : d.memories) {
		if (!m.dmaBuf)
			continue;
		int ret = dmaBufSync(m.fd.get(), DMA_BUF_SYNC_END | flags);
		if (ret < 0 && result)
			result = makeError(-ret, "DMA_BUF_IOCTL_SYNC end on %s buffer failed", d.provenance.origin.c_str());
	}
	HBM_LOG(logCpu, Debug, "sync end (flags %u) on %s", flags, d.provenance.origin.c_str());
	return result;
}

} // namespace hbm
