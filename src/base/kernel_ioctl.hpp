// SPDX-License-Identifier: MIT
#pragma once

#include <sys/ioctl.h>

namespace hbm {

/// retryingIoctl() after its first attempt failed: retries while errno says to, or
/// returns -errno. Out of line: most ioctls succeed at once.
[[gnu::cold]] int retriedIoctl(int fd, unsigned long request, void *arg, bool retryEagain);

/// ioctl() retried while the kernel says EINTR (and EAGAIN, where its uapi asks for a
/// retry, as DMA_BUF_IOCTL_SYNC's does). Returns the ioctl's result or -errno. Never logs.
/// The first attempt is inline: every allocation from a heap makes one (docs/performance.md).
inline int retryingIoctl(int fd, unsigned long request, void *arg, bool retryEagain = true)
{
	const int ret = ::ioctl(fd, request, arg);
	return ret != -1 ? ret : retriedIoctl(fd, request, arg, retryEagain);
}

} // namespace hbm
