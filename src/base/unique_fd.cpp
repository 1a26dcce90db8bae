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

namespace {

/// The one duplicate of a descriptor hbm makes (close-on-exec); empty with EBADF for none.
UniqueFd duplicateOf(int fd)
{
	if (fd < 0) {
		errno = EBADF;
		return UniqueFd();
	}
	return UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

} // namespace

UniqueFd UniqueFd::duplicate() const
{
	return duplicateOf(fd_);
}

} // namespace hbm

// SharedFd's shared count lives here too, so every close() stays in this file's
// UniqueFd::reset().
#include <hbm/shared_fd.hpp>

namespace hbm {

SharedFd::Owners *SharedFd::share() const
{
	if (fd_ < 0)
		return nullptr;
	Owners *owners = owners_.load(std::memory_order_acquire);
	if (!owners) {
		// The first copy: this one and the new one. Another thread copying the same
		// SharedFd at once may install its count first; then both join that one.
		auto *made = new Owners(2);
		if (owners_.compare_exchange_strong(owners, made, std::memory_order_acq_rel, std::memory_order_acquire))
			return made;
		delete made;
	}
	owners->fetch_add(1, std::memory_order_relaxed);
	return owners;
}

void SharedFd::drop()
{
	Owners *owners = owners_.load(std::memory_order_relaxed);
	const int fd = fd_;
	fd_ = -1;
	owners_.store(nullptr, std::memory_order_relaxed);
	if (fd < 0)
		return;
	if (owners) {
		if (owners->fetch_sub(1, std::memory_order_acq_rel) != 1)
			return;
		delete owners;
	}
	UniqueFd last(fd); // the last owner: closed here
}

UniqueFd SharedFd::duplicate() const
{
	return duplicateOf(fd_);
}

} // namespace hbm
