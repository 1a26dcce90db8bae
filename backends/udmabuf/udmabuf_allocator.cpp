// SPDX-License-Identifier: MIT
#include "udmabuf_allocator.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/udmabuf.h>

#include "backends/shared_memory.hpp"
#include "base/error.hpp"
#include "base/kernel_ioctl.hpp"

namespace hbm::udmabuf {

namespace {

/// The driver's size_limit_mb parameter (64 by default), in bytes; 0 if unreadable.
uint64_t sizeLimit()
{
	std::unique_ptr<FILE, int (*)(FILE *)> f(
		std::fopen("/sys/module/udmabuf/parameters/size_limit_mb", "re"), std::fclose);
	unsigned long long mb = 0;
	if (f && std::fscanf(f.get(), "%llu", &mb) == 1)
		return mb << 20;
	return 0;
}

} // namespace

Result<std::unique_ptr<UdmabufAllocator>> UdmabufAllocator::create(const std::string &device)
{
	UniqueFd dev(::open(device.c_str(), O_RDWR | O_CLOEXEC));
	if (!dev)
		return makeError(errno, "cannot open %s", device.c_str());
	AllocatorInfo info;
	info.name = "udmabuf";
	info.kind = AllocatorKind::Udmabuf;
	info.formats = linearFormats();
	info.deviceImportable = true;
	info.maxSize = sizeLimit();
	info.maxSizeReason = "its size_limit_mb in /sys/module/udmabuf/parameters: raise it there or with "
			     "udmabuf.size_limit_mb= on the kernel command line";
	// UDMABUF_CREATE pins every page of the memfd: they are allocated then.
	info.memoryCommit = MemoryCommit::AtAllocation;
	return std::unique_ptr<UdmabufAllocator>(new UdmabufAllocator(std::move(info), std::move(dev)));
}

Result<void> UdmabufAllocator::doAllocateBytes(const ByteRequest &request, Bytes &out)
{
	const uint64_t size = pageRound(request.size);
	auto memfd = createSealedMemfd("hbm-udmabuf", size, F_SEAL_SHRINK);
	if (!memfd)
		return memfd.error();

	struct udmabuf_create create = {};
	create.memfd = static_cast<uint32_t>(memfd->get());
	create.flags = UDMABUF_FLAGS_CLOEXEC;
	create.offset = 0;
	create.size = size;
	int ret = retryingIoctl(dev_.get(), UDMABUF_CREATE, &create, false);
	if (ret < 0)
		return makeError(-ret, "UDMABUF_CREATE of %llu bytes failed", (unsigned long long)size);
	// The dma-buf holds the pages; the memfd is no longer needed.
	out.fd = SharedFd(UniqueFd(ret));
	out.size = out.fdSize = size;
	return {};
}

} // namespace hbm::udmabuf
