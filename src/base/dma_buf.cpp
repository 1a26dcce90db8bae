// SPDX-License-Identifier: MIT
#include "base/dma_buf.hpp"

#include <cerrno>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "base/kernel_ioctl.hpp"

#include <atomic>
#include <cerrno>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dma-buf.h>

namespace hbm {

namespace {
std::atomic<uint64_t> syncStarts{0};
std::atomic<uint64_t> syncEnds{0};
} // namespace

int dmaBufSync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = {};
	sync.flags = flags;
	int ret = retryingIoctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	if (ret < 0)
		return ret;
	(flags & DMA_BUF_SYNC_END ? syncEnds : syncStarts).fetch_add(1, std::memory_order_relaxed);
	return 0;
}

int64_t fileSize(int fd)
{
	off_t size = ::lseek(fd, 0, SEEK_END);
	if (size < 0)
		return -errno;
	::lseek(fd, 0, SEEK_SET);
	return size;
}

DmaBufSyncCounters dmaBufSyncCounters()
{
	return {syncStarts.load(std::memory_order_relaxed), syncEnds.load(std::memory_order_relaxed)};
}

int isDmaBuf(int fd)
{
	struct statfs fs;
	if (::fstatfs(fd, &fs) < 0)
		return -errno;
	return fs.f_type == DMA_BUF_MAGIC;
}

} // namespace hbm
