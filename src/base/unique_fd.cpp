// SPDX-License-Identifier: MIT
#include <hbm/unique_fd.hpp>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace hbm {

void UniqueFd::reset(int fd)
{
	int old = fd_;
	fd_ = fd;
	if (old >= 0) {
		// Linux releases the descriptor even when close() fails (EINTR included):
		// retrying could close a descriptor another thread just received.
		int saved = errno;
		::close(old);
		errno = saved;
	}
}

UniqueFd UniqueFd::duplicate() const
{
	if (fd_ < 0) {
		errno = EBADF;
		return UniqueFd();
	}
	return UniqueFd(::fcntl(fd_, F_DUPFD_CLOEXEC, 0));
}

} // namespace hbm
