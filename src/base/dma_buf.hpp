// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <sys/types.h>

namespace hbm {

/// DMA_BUF_IOCTL_SYNC on @fd with DMA_BUF_SYNC_* @flags. Returns 0 or -errno; retries
/// EINTR and EAGAIN as the uapi asks (include/uapi/linux/dma-buf.h). Never logs.
int dmaBufSync(int fd, uint64_t flags);

/// What one fstat() tells of a descriptor offered as a dma-buf. Every dma-buf is an inode
/// of the kernel's one dma-buf pseudo file system (drivers/dma-buf/dma-buf.c: dma_buf_getfile()
/// makes it with alloc_anon_inode() on dma_buf_mnt, mounted once by kern_mount() and never
/// registered or unmounted), so all share one st_dev that nothing else has; its i_size is
/// set to the buffer's size at export and never changed (what SEEK_END reports too).
struct DmaBufIdentity {
	bool dmaBuf = false;
	uint64_t size = 0; ///< of a dma-buf: its real size
	dev_t dev = 0;
	ino_t ino = 0;     ///< unique per dma-buf; the same for every descriptor of one
	const char *failedCall = nullptr; ///< "fstat" or "fstatfs" when identifyDmaBuf() fails
};

/// Fills @out with one fstat(): a dma-buf on the file system a first one showed (one
/// fstatfs(), DMA_BUF_MAGIC) is known by its st_dev from then on. That st_dev is only ever
/// a shortcut to "yes": any other descriptor without a file type (another anonymous inode)
/// is asked with fstatfs(). Returns 0, or -errno when a call fails. The one place hbm asks
/// whether a descriptor is a dma-buf.
///
/// An O_PATH descriptor of a dma-buf (open("/proc/self/fd/N", O_PATH)) answers fstat like
/// the dma-buf: it is refused where it is first used (mapping: F_GETFL shows O_PATH; device
/// import: EBADF from the kernel), not here.
int identifyDmaBuf(int fd, DmaBufIdentity *out);

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
