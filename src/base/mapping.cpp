// SPDX-License-Identifier: MIT
#include "base/mapping.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>

#include "base/error.hpp"

namespace hbm {

Mapping &Mapping::operator=(Mapping &&other) noexcept
{
	if (this != &other) {
		reset();
		addr_ = other.addr_;
		size_ = other.size_;
		other.addr_ = nullptr;
		other.size_ = 0;
	}
	return *this;
}

int accessMode(int fd)
{
	const int flags = ::fcntl(fd, F_GETFL);
	return flags < 0 ? -errno : flags & (O_ACCMODE | O_PATH);
}

Result<Mapping> Mapping::map(int fd, size_t size, bool writable)
{
	void *addr = ::mmap(nullptr, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		return makeError(errno, "mmap (%s) of %zu bytes of fd %d failed", writable ? "read-write" : "read-only",
				 size, fd);
	Mapping m;
	m.addr_ = addr;
	m.size_ = size;
	return m;
}

void Mapping::reset()
{
	if (addr_)
		::munmap(addr_, size_);
	addr_ = nullptr;
	size_ = 0;
}

} // namespace hbm
