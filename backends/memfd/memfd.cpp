// SPDX-License-Identifier: MIT
#include "memfd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/shared_memory.hpp"
#include "error.hpp"

namespace hbm::memfd {

std::unique_ptr<MemfdAllocator> MemfdAllocator::create()
{
	AllocatorInfo info;
	info.name = "memfd";
	info.kind = AllocatorKind::Memfd;
	info.formats = linearFormats();
	info.deviceImportable = false;
	return std::unique_ptr<MemfdAllocator>(new MemfdAllocator(std::move(info)));
}

Result<Allocation> MemfdAllocator::doAllocate(const AllocationRequest &request)
{
	auto layout = linearLayout(request.format, request.width, request.height, request.linear);
	if (!layout)
		return layout.error();
	layout->size = pageRound(layout->size);
	auto fd = createSealedMemfd("hbm-memfd", layout->size, F_SEAL_SHRINK | F_SEAL_GROW);
	if (!fd)
		return fd.error();
	const uint64_t size = layout->size;
	return singleFdAllocation(std::move(*layout), SharedFd(std::move(*fd)), size);
}

} // namespace hbm::memfd
