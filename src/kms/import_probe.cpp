// SPDX-License-Identifier: MIT
#include "import_probe.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <sys/sysmacros.h>

#include <xf86drm.h>

#include "backends/dma_heap/dma_heap.hpp"
#include "backends/udmabuf/udmabuf_allocator.hpp"
#include "error.hpp"
#include "log.hpp"
#include "string_format.hpp"

namespace hbm {

namespace {

LogCategory logProbe("kms");

constexpr uint64_t kPage = 4096;

std::mutex cacheMutex;
std::map<dev_t, ImportProbe> cache; // conclusive answers only

} // namespace

Result<ForeignPage> makeForeignPage()
{
	std::string tried;
	// The system heap: one ioctl on a node that is open already on most machines that have it.
	if (UniqueFd heap(::open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC)); heap) {
		const int fd = dma_heap::allocIoctl(heap.get(), kPage);
		if (fd >= 0)
			return ForeignPage{UniqueFd(fd), "dma-heap:system"};
		tried = stringf("/dev/dma_heap/system: DMA_HEAP_IOCTL_ALLOC: %s", strerror(-fd));
	} else {
		tried = stringf("/dev/dma_heap/system: %s", strerror(errno));
	}
	auto udmabuf = udmabuf::UdmabufAllocator::create();
	if (!udmabuf)
		return makeError(ENODEV, "%s; %s", tried.c_str(), udmabuf.error().message.c_str());
	auto bytes = (*udmabuf)->allocateBytes({kPage, 1});
	if (!bytes)
		return makeError(ENODEV, "%s; udmabuf: %s", tried.c_str(), bytes.error().message.c_str());
	// The only owner of the descriptor: take it out of the SharedFd without a dup.
	UniqueFd fd(::fcntl(bytes->fd.get(), F_DUPFD_CLOEXEC, 3));
	if (!fd)
		return makeError(errno, "%s; udmabuf: cannot duplicate its dma-buf", tried.c_str());
	return ForeignPage{std::move(fd), "udmabuf"};
}

ForeignImport classifyImportError(int error)
{
	switch (error) {
	case 0:
		return ForeignImport::Importable;
	// The machine or the file's rights, not the device: ask again another time.
	case ENOMEM:
	case EINTR:
	case EAGAIN:
	case EMFILE:
	case ENFILE:
	case EACCES:
	case EPERM:
	case EBADF:
		return ForeignImport::Unknown;
	default:
		return ForeignImport::OwnMemoryOnly;
	}
}

ImportProbe probeForeignImport(const PrimeImportFn &import, const GemCloseFn &close, const ForeignPageFn &makePage)
{
	const auto start = std::chrono::steady_clock::now();
	ImportProbe probe;
	auto elapsed = [&] {
		return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
					.count());
	};
	auto page = makePage();
	if (!page) {
		probe.how = "no foreign exporter to probe with (" + page.error().message + ")";
		probe.microseconds = elapsed();
		return probe;
	}
	uint32_t handle = 0;
	const int ret = import(page->fd.get(), &handle);
	if (ret == 0)
		close(handle); // a new object's handle: nobody else can hold it
	probe.error = -ret;
	probe.answer = classifyImportError(-ret);
	const std::string what = "PRIME import of a one-page " + page->exporter + " buffer";
	const char *name = ret ? strerrorname_np(-ret) : nullptr;
	probe.how = ret == 0 ? what + " worked"
			     : what + stringf(" refused with %s (%s)", name ? name : "an unnamed errno", strerror(-ret));
	page->fd.reset();
	probe.microseconds = elapsed();
	return probe;
}

ImportProbe foreignImportOf(int drmFd, dev_t device)
{
	{
		std::lock_guard lock(cacheMutex);
		if (auto it = cache.find(device); it != cache.end())
			return it->second;
	}
	ImportProbe probe = probeForeignImport(
		[drmFd](int dmabufFd, uint32_t *handle) { return drmPrimeFDToHandle(drmFd, dmabufFd, handle) ? -errno : 0; },
		[drmFd](uint32_t handle) { drmCloseBufferHandle(drmFd, handle); }, makeForeignPage);
	HBM_LOG(logProbe, Debug, "foreign import on DRM device %u:%u: %s, in %llu us", major(device), minor(device),
		probe.how.c_str(), (unsigned long long)probe.microseconds);
	if (probe.answer != ForeignImport::Unknown) {
		std::lock_guard lock(cacheMutex);
		cache.emplace(device, probe);
	}
	return probe;
}

ImportProbe knownForeignImport(dev_t device)
{
	std::lock_guard lock(cacheMutex);
	auto it = cache.find(device);
	return it != cache.end() ? it->second : ImportProbe{};
}

} // namespace hbm
