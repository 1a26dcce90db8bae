// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

namespace hbm {

/// DMA_BUF_IOCTL_SYNC on @fd with DMA_BUF_SYNC_* @flags. Returns 0 or -errno; retries
/// EINTR and EAGAIN as the uapi asks (include/uapi/linux/dma-buf.h). Never logs.
int dmaBufSync(int fd, uint64_t flags);

/// Whether @fd is a dma-buf (its file system is DMA_BUF_MAGIC): 1, 0, or -errno when
/// fstatfs fails. The one place hbm asks.
int isDmaBuf(int fd);

/// Size of the file behind @fd (lseek SEEK_END, as dma-buf documents it), or -errno.
int64_t fileSize(int fd);

/// Sync ioctls this process issued through dmaBufSync() (tests and benchmarks check that
/// nested access adds none).
struct DmaBufSyncCounters {
	uint64_t starts;
	uint64_t ends;
};
DmaBufSyncCounters dmaBufSyncCounters();

} // namespace hbm
