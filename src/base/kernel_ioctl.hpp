// SPDX-License-Identifier: MIT
#pragma once

namespace hbm {

/// ioctl() retried while the kernel says EINTR (and EAGAIN, where its uapi asks for a
/// retry, as DMA_BUF_IOCTL_SYNC's does). Returns the ioctl's result or -errno. Never logs.
int retryingIoctl(int fd, unsigned long request, void *arg, bool retryEagain = true);

} // namespace hbm
