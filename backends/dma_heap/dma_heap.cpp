// SPDX-License-Identifier: MIT
#include "dma_heap.hpp"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/dma-heap.h>

#include <cstdio>

#include <drm_fourcc.h>

#include <hbm/format.hpp>

#include "backends/shared_memory.hpp"
#include "error.hpp"
#include "kernel_ioctl.hpp"
#include "log.hpp"

namespace hbm::dma_heap {

namespace {

LogCategory logHeap("dma-heap");

bool isDirectory(const std::string &path)
{
	struct stat st;
	return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

Result<std::vector<HeapInfo>> discover(const Paths &paths)
{
	std::vector<HeapInfo> heaps;
	std::unique_ptr<DIR, int (*)(DIR *)> dir(::opendir(paths.devDir.c_str()), ::closedir);
	if (!dir) {
		if (errno == ENOENT) {
			HBM_LOG(logHeap, Info, "%s does not exist: no dma-heaps (kernel without CONFIG_DMABUF_HEAPS?)",
				paths.devDir.c_str());
			return heaps;
		}
		return makeError(errno, "cannot list dma-heaps in %s", paths.devDir.c_str());
	}

	while (struct dirent *entry = ::readdir(dir.get())) {
		std::string name = entry->d_name;
		if (name == "." || name == "..")
			continue;
		HeapInfo heap;
		heap.name = name;
		heap.path = paths.devDir + "/" + name;
		// The CMA heap carries the name of its CMA area, which the kernel also lists in
		// sysfs (CONFIG_CMA_SYSFS) and debugfs (CONFIG_CMA_DEBUGFS).
		heap.contiguous = isDirectory(paths.sysfsCmaDir + "/" + name) ||
				  isDirectory(paths.debugfsCmaDir + "/" + name);
		heap.cached = name != "system-uncached";
		HBM_LOG(logHeap, Debug, "found heap %s (%s, %s)", name.c_str(),
			heap.contiguous ? "contiguous" : "scattered", heap.cached ? "cached" : "uncached");
		heaps.push_back(std::move(heap));
	}
	std::sort(heaps.begin(), heaps.end(),
		  [](const HeapInfo &a, const HeapInfo &b) { return a.name < b.name; });
	return heaps;
}

int allocIoctl(int heapFd, uint64_t len)
{
	struct dma_heap_allocation_data data = {};
	data.len = len;
	data.fd_flags = O_RDWR | O_CLOEXEC;
	int ret = retryingIoctl(heapFd, DMA_HEAP_IOCTL_ALLOC, &data, false);
	return ret < 0 ? ret : static_cast<int>(data.fd);
}

Result<UniqueFd> allocate(const HeapInfo &heap, uint64_t size)
{
	UniqueFd heapFd(::open(heap.path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!heapFd)
		return makeError(errno, "cannot open dma-heap %s (%s)", heap.name.c_str(), heap.path.c_str());
	int ret = allocIoctl(heapFd.get(), size);
	if (ret < 0) {
		const char *hint = (ret == -ENOMEM && heap.contiguous)
					   ? ": the CMA area is too small or fragmented (raise cma= on the kernel command line)"
					   : "";
		return makeError(-ret, "dma-heap %s could not allocate %llu bytes%s", heap.name.c_str(),
				 static_cast<unsigned long long>(size), hint);
	}
	HBM_LOG(logHeap, Debug, "allocated %llu bytes from %s: fd %d",
		static_cast<unsigned long long>(size), heap.name.c_str(), ret);
	return UniqueFd(ret);
}

namespace {

/// CmaTotal from /proc/meminfo in bytes (all CMA areas), or 0.
uint64_t cmaTotalBytes()
{
	std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen("/proc/meminfo", "re"), std::fclose);
	char line[128];
	unsigned long long kb = 0;
	while (f && std::fgets(line, sizeof(line), f.get()))
		if (std::sscanf(line, "CmaTotal: %llu kB", &kb) == 1)
			return kb * 1024;
	return 0;
}

} // namespace

Result<std::unique_ptr<DmaHeapAllocator>> DmaHeapAllocator::create(const HeapInfo &heap)
{
	UniqueFd fd(::open(heap.path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		return makeError(errno, "cannot open dma-heap %s (%s)", heap.name.c_str(), heap.path.c_str());
	AllocatorInfo info;
	info.name = "dma-heap:" + heap.name;
	info.kind = AllocatorKind::DmaHeap;
	info.formats = linearFormats();
	info.contiguous = heap.contiguous;
	info.cached = heap.cached;
	info.deviceImportable = true;
	// The kernel does not say how big one CMA area is; with one CMA heap it is CmaTotal.
	if (heap.contiguous)
		info.maxSize = cmaTotalBytes();
	return std::unique_ptr<DmaHeapAllocator>(new DmaHeapAllocator(std::move(info), std::move(fd)));
}

Result<Bytes> DmaHeapAllocator::doAllocateBytes(const ByteRequest &request)
{
	// The heap hands out whole pages: exactly the page-rounded length asked for.
	const uint64_t size = pageRound(request.size);
	if (info_.maxSize && size > info_.maxSize)
		return makeError(ENOMEM, "%llu bytes exceed the heap's %llu: raise cma= on the kernel command line",
				 (unsigned long long)size, (unsigned long long)info_.maxSize);
	int ret = allocIoctl(heapFd_.get(), size);
	if (ret < 0) {
		const char *hint = (ret == -ENOMEM && info_.contiguous)
					   ? ": the CMA area is too small or fragmented (raise cma= on the kernel command line)"
					   : "";
		return makeError(-ret, "could not allocate %llu bytes%s", static_cast<unsigned long long>(size), hint);
	}
	return Bytes{SharedFd(UniqueFd(ret)), 0, size, size, nullptr};
}

} // namespace hbm::dma_heap

namespace hbm {

Result<std::vector<HeapInfo>> listHeaps()
{
	return dma_heap::discover();
}

} // namespace hbm
