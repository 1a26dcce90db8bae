// SPDX-License-Identifier: MIT
#include "base/dma_buf.hpp"

#include <cerrno>
#include <sys/stat.h>
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

namespace {
/// The dma-buf file system's st_dev plus one, once a dma-buf has shown it (0: not yet).
std::atomic<uint64_t> dmaBufDevice{0};
} // namespace

int identifyDmaBuf(int fd, DmaBufIdentity *out)
{
	struct stat st;
	if (::fstat(fd, &st) < 0) {
		out->failedCall = "fstat";
		return -errno;
	}
	*out = {false, 0, st.st_dev, st.st_ino};
	// alloc_anon_inode() sets i_mode to S_IRUSR | S_IWUSR: no file type (fs/libfs.c), which
	// no regular file, device node, pipe or socket lacks.
	if ((st.st_mode & S_IFMT) != 0)
		return 0;
	const uint64_t known = dmaBufDevice.load(std::memory_order_relaxed);
	if (known && uint64_t(st.st_dev) + 1 == known) {
		out->dmaBuf = true;
	} else {
		// Other anonymous inodes (eventfd, sync_file, pidfd) have no file type either: the
		// file system's magic tells. The first dma-buf teaches the process its st_dev, so
		// a dma-buf costs one fstat from then on; the st_dev is only a shortcut to "yes",
		// never the reason for "no".
		struct statfs fs;
		if (::fstatfs(fd, &fs) < 0) {
			out->failedCall = "fstatfs";
			return -errno;
		}
		out->dmaBuf = fs.f_type == DMA_BUF_MAGIC;
		if (out->dmaBuf && !known)
			dmaBufDevice.store(uint64_t(st.st_dev) + 1, std::memory_order_relaxed);
	}
	if (out->dmaBuf)
		out->size = uint64_t(st.st_size);
	return 0;
}

} // namespace hbm
