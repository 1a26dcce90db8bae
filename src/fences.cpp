// SPDX-License-Identifier: MIT
// Fences: sync_file export and import, and waiting for idle by poll on the dma-buf.
#include <hbm/buffer.hpp>

#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <span>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>

#include "buffer_private.hpp"
#include "base/dma_buf.hpp"
#include "base/error.hpp"
#include "base/kernel_ioctl.hpp"
#include "base/log.hpp"

namespace hbm {

namespace {

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

Result<UniqueFd> Buffer::exportSyncFile(CpuAccessMode mode) const
{
	UniqueFd merged;
	if (!d_->dmaBuf)
		return makeError(ENOTSUP, "%s memory is not a dma-buf and carries no fences", d_->provenance.origin->c_str());
	for (const AllocatedMemory &m : d_->storage.memories) {
		struct dma_buf_export_sync_file exp = {};
		exp.flags = syncFlags(mode);
		exp.fd = -1;
		int ret = retryingIoctl(m.fd.get(), DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp);
		if (ret < 0)
			return makeError(-ret, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE on %s buffer failed",
					 d_->provenance.origin->c_str());
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
	if (!d_->dmaBuf)
		return makeError(ENOTSUP, "%s memory is not a dma-buf and takes no fences", d_->provenance.origin->c_str());
	for (const AllocatedMemory &m : d_->storage.memories) {
		struct dma_buf_import_sync_file imp = {};
		imp.flags = syncFlags(mode);
		imp.fd = syncFile;
		int ret = retryingIoctl(m.fd.get(), DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp);
		if (ret < 0)
			return makeError(-ret, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE of fd %d into %s buffer failed",
					 syncFile, d_->provenance.origin->c_str());
	}
	return {};
}

Result<bool> Buffer::waitIdle(CpuAccessMode mode, int timeoutMs) const
{
	// dma-buf poll: POLLIN once the writers are done (safe to read), POLLOUT once every
	// fence is (safe to write).
	const short events = (syncFlags(mode) & DMA_BUF_SYNC_WRITE) ? POLLOUT : POLLIN;
	// Inline and filled as far as needed: the pool asks this of every buffer it hands out.
	struct pollfd fds[PlaneArray<AllocatedMemory>::kCapacity];
	size_t count = 0;
	if (d_->dmaBuf)
		for (const AllocatedMemory &m : d_->storage.memories)
			fds[count++] = {m.fd.get(), events, 0};
	if (count == 0)
		return true;
	size_t ready = 0;
	while (ready < count) {
		int ret = ::poll(fds, count, timeoutMs);
		if (ret < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (ret < 0)
			return makeError(errno, "poll on %s buffer failed", d_->provenance.origin->c_str());
		if (ret == 0)
			return false;
		ready = 0;
		for (struct pollfd &p : std::span(fds, count)) {
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

} // namespace hbm
