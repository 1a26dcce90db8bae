// SPDX-License-Identifier: MIT
#include "shared_memory.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/error.hpp"

namespace hbm {

uint64_t readPageSize()
{
	return static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

Result<UniqueFd> createSealedMemfd(const char *name, uint64_t size, int seals)
{
	UniqueFd fd(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
	if (!fd)
		return makeError(errno, "memfd_create failed");
	if (::ftruncate(fd.get(), static_cast<off_t>(size)) < 0)
		return makeError(errno, "cannot size a memfd to %llu bytes (ftruncate)", (unsigned long long)size);
	if (::fcntl(fd.get(), F_ADD_SEALS, seals) < 0)
		return makeError(errno, "cannot seal a memfd (fcntl F_ADD_SEALS)");
	return fd;
}

} // namespace hbm
