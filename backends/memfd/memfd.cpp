// SPDX-License-Identifier: MIT
#include "memfd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/shared_memory.hpp"
#include "base/error.hpp"

namespace hbm::memfd {

std::unique_ptr<MemfdAllocator> MemfdAllocator::create()
{
	AllocatorInfo info;
	info.name = "memfd";
	info.kind = AllocatorKind::Memfd;
	info.formats = linearFormats();
	info.deviceImportable = false;
	// A sealed memfd of any size is made at once; its pages come when touched.
	info.memoryCommit = MemoryCommit::OnFirstUse;
	return std::unique_ptr<MemfdAllocator>(new MemfdAllocator(std::move(info)));
}

Result<void> MemfdAllocator::doAllocateBytes(const ByteRequest &request, Bytes &out)
{
	const uint64_t size = pageRound(request.size);
	auto fd = createSealedMemfd("hbm-memfd", size, F_SEAL_SHRINK | F_SEAL_GROW);
	if (!fd)
		return fd.error();
	out.fd = SharedFd(std::move(*fd));
	out.size = out.fdSize = size;
	return {};
}

} // namespace hbm::memfd
