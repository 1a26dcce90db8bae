// SPDX-License-Identifier: MIT
#include "mapping.hpp"

#include <cerrno>
#include <sys/mman.h>

#include "error.hpp"

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

Result<Mapping> Mapping::map(int fd, size_t size)
{
	void *addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		return makeError(errno, "mmap of %zu bytes of fd %d failed", size, fd);
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
