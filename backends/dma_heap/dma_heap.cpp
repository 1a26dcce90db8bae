// SPDX-License-Identifier: MIT
#include "dma_heap.hpp"

#include <algorithm>
#include <atomic>
#include <unistd.h>
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
#include "base/error.hpp"
#include "base/kernel_ioctl.hpp"
#include "base/log.hpp"
#include "base/string_format.hpp"
#include "base/system_memory.hpp"

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

namespace {

uint64_t cmaTotalBytes()
{
	return meminfoBytes("CmaTotal");
}

/// The largest free block of CMA area @area (debugfs, CONFIG_CMA_DEBUGFS: in pages), or 0.
uint64_t cmaLargestFree(const std::string &area)
{
	std::unique_ptr<FILE, int (*)(FILE *)> f(
		std::fopen(("/sys/kernel/debug/cma/" + area + "/maxchunk").c_str(), "re"), std::fclose);
	unsigned long long pages = 0;
	if (!f || std::fscanf(f.get(), "%llu", &pages) != 1)
		return 0;
	return pages * uint64_t(::sysconf(_SC_PAGESIZE));
}

} // namespace

struct DmaHeapAllocator::Held {
	std::atomic<uint64_t> bytes{0};
	std::atomic<uint64_t> buffers{0};
};

DmaHeapAllocator::DmaHeapAllocator(AllocatorInfo info, UniqueFd heapFd, std::string area)
	: ByteAllocator(std::move(info)), heapFd_(std::move(heapFd)), area_(std::move(area)),
	  held_(std::make_shared<Held>())
{
}

Refusal cmaShortfall(const std::string &heap, uint64_t asked, const CmaState &s)
{
	// The step is named first, as every failure of a system call is (the fault sweeps check).
	std::string state = "DMA_HEAP_IOCTL_ALLOC: could not allocate " + byteCount(asked) +
			    " of contiguous memory: CMA area " + heap + " has " +
			    byteCount(s.free) + " free of " + byteCount(s.total);
	if (s.largestFree)
		state += ", the largest free block " + byteCount(s.largestFree);
	state += stringf("; this process holds %s of it in %llu buffer%s", byteCount(s.heldByUs).c_str(),
			 (unsigned long long)s.buffersHeldByUs, s.buffersHeldByUs == 1 ? "" : "s");
	const uint64_t used = s.total > s.free ? s.total - s.free : 0;
	if (used > s.heldByUs)
		state += ", the kernel and other processes " + byteCount(used - s.heldByUs);
	const uint64_t fits = s.largestFree ? s.largestFree : s.free;
	std::string fix;
	if (asked > s.total)
		fix = "nothing this large fits in the area: raise cma= on the kernel command line";
	else if (s.heldByUs && asked <= fits + s.heldByUs)
		fix = "release some of this process's buffers from " + heap + ", or ask for at most " + byteCount(fits) +
		      (s.largestFree ? "" : " (the largest free block may be smaller: CONFIG_CMA_DEBUGFS tells)");
	else if (asked <= s.free && s.largestFree && asked > s.largestFree)
		fix = "the free memory is fragmented: ask for at most " + byteCount(s.largestFree);
	else if (asked <= fits)
		fix = "the area reports enough free memory, but the kernel could not gather it (pages pinned or "
		      "in use elsewhere): release buffers of " + heap + " and try again, or raise cma= on the kernel "
		      "command line";
	else
		fix = "ask for at most " + byteCount(fits) + ", or raise cma= on the kernel command line";
	Rejection r;
	r.reason = RejectReason::OutOfMemory;
	r.allocator = "dma-heap:" + heap;
	r.value = asked;
	r.limit = fits;
	return Refusal{std::move(state), {std::move(r)}, std::move(fix)};
}

AllocatorInfo heapInfo(const std::string &name, bool contiguous, bool cached)
{
	AllocatorInfo info;
	info.name = "dma-heap:" + name;
	info.kind = AllocatorKind::DmaHeap;
	info.formats = linearFormats();
	info.contiguous = contiguous;
	info.cached = cached;
	info.deviceImportable = true;
	// CMA memory is reserved at boot: the kernel refuses cleanly when the area is full.
	// The system heap takes its pages at allocation, until the OOM killer stops it.
	info.memoryCommit = contiguous ? MemoryCommit::Reserved : MemoryCommit::AtAllocation;
	return info;
}

Result<std::unique_ptr<DmaHeapAllocator>> DmaHeapAllocator::create(const HeapInfo &heap)
{
	UniqueFd fd(::open(heap.path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		return makeError(errno, "cannot open dma-heap %s (%s)", heap.name.c_str(), heap.path.c_str());
	AllocatorInfo info = heapInfo(heap.name, heap.contiguous, heap.cached);
	// The kernel does not say how big one CMA area is; with one CMA heap it is CmaTotal.
	if (heap.contiguous) {
		info.maxSize = cmaTotalBytes();
		info.maxSizeReason = "all of its CMA area, CmaTotal in /proc/meminfo: raise cma= on the kernel command line";
	}
	return std::unique_ptr<DmaHeapAllocator>(
		new DmaHeapAllocator(std::move(info), std::move(fd), heap.contiguous ? heap.name : std::string()));
}

Result<void> DmaHeapAllocator::doAllocateBytes(const ByteRequest &request, Bytes &out)
{
	// The heap hands out whole pages: exactly the page-rounded length asked for.
	const uint64_t size = pageRound(request.size);
	int ret = allocIoctl(heapFd_.get(), size);
	if (ret == -ENOMEM && !area_.empty()) {
		CmaState state;
		state.total = cmaTotalBytes();
		state.free = meminfoBytes("CmaFree");
		state.largestFree = cmaLargestFree(area_);
		state.heldByUs = held_->bytes.load();
		state.buffersHeldByUs = held_->buffers.load();
		return refusalError(ENOMEM, cmaShortfall(area_, size, state));
	}
	if (ret < 0)
		return makeError(-ret, "DMA_HEAP_IOCTL_ALLOC of %llu bytes failed", static_cast<unsigned long long>(size));
	out.fd = SharedFd(UniqueFd(ret));
	out.size = out.fdSize = size;
	if (!area_.empty()) {
		// What this process holds, for the sentence of the next refusal.
		held_->bytes += size;
		++held_->buffers;
		out.keepAlive = BackendHold(held_, held_.get(), size, [](void *object, uint64_t bytes) {
			auto *held = static_cast<Held *>(object);
			held->bytes -= bytes;
			--held->buffers;
		});
	}
	return {};
}

} // namespace hbm::dma_heap

namespace hbm {

Result<std::vector<HeapInfo>> listHeaps()
{
	return dma_heap::discover();
}

} // namespace hbm
