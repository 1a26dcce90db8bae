// SPDX-License-Identifier: MIT
#include "base/kernel_ioctl.hpp"

#include <cerrno>
#include <sys/ioctl.h>

namespace hbm {

int retryingIoctl(int fd, unsigned long request, void *arg, bool retryEagain)
{
	int ret;
	do {
		ret = ::ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || (retryEagain && errno == EAGAIN)));
	return ret == -1 ? -errno : ret;
}

} // namespace hbm
