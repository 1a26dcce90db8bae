// SPDX-License-Identifier: MIT
#include "base/kernel_ioctl.hpp"

#include <cerrno>

namespace hbm {

int retriedIoctl(int fd, unsigned long request, void *arg, bool retryEagain)
{
	while (errno == EINTR || (retryEagain && errno == EAGAIN))
		if (int ret = ::ioctl(fd, request, arg); ret != -1)
			return ret;
	return -errno;
}

} // namespace hbm
