// SPDX-License-Identifier: MIT
// User-space instructions per 4 KiB allocate + export + free, counted by callgrind: a
// figure the machine's noise cannot move (timings on the shared, emulated lab machine
// can). benchmarks/instructions.sh runs it under valgrind and prints the table.
//
// The host has no dma-heap, so the heap is a stand-in at the allocator seam: a
// ByteAllocator that does what DmaHeapAllocator::doAllocateBytes() does on success (round
// to pages, one kernel call for a descriptor, report its size), the kernel call being
// memfd_create() + ftruncate(). The baseline is what a user writes by hand with the same
// kernel calls: make the descriptor, dup it (the export), close both. Callgrind counts no
// kernel work, so the difference between the two is hbm's own bookkeeping.
//
// Outside valgrind it runs the same loops and prints nothing useful but their time.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <valgrind/callgrind.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "backends/allocator.hpp"
#include "context_private.hpp"
#include "backends/shared_memory.hpp"

namespace {

/// The dma-heap's success path with a memfd for the heap's descriptor.
class StandInHeap final : public hbm::ByteAllocator
{
public:
	StandInHeap() : ByteAllocator(makeInfo()) {}

private:
	static hbm::AllocatorInfo makeInfo()
	{
		hbm::AllocatorInfo info;
		info.name = "dma-heap:system"; // as long as the real one's: the same string work
		info.kind = hbm::AllocatorKind::DmaHeap;
		info.formats = hbm::linearFormats();
		info.deviceImportable = true;
		info.memoryCommit = hbm::MemoryCommit::AtAllocation;
		return info;
	}
	hbm::Result<hbm::Bytes> doAllocateBytes(const hbm::ByteRequest &request) override
	{
		const uint64_t size = hbm::pageRound(request.size);
		int fd = rawAllocate(size);
		if (fd < 0)
			return hbm::Error{errno, "memfd"};
		return hbm::Bytes{hbm::SharedFd(hbm::UniqueFd(fd)), 0, size, size, nullptr};
	}

public:
	/// The stand-in for DMA_HEAP_IOCTL_ALLOC, used by both sides.
	static int rawAllocate(uint64_t size)
	{
		int fd = ::memfd_create("stand-in-heap", MFD_CLOEXEC);
		if (fd >= 0 && ::ftruncate(fd, off_t(size)) < 0) {
			::close(fd);
			return -1;
		}
		return fd;
	}
};

constexpr uint64_t kBytes = 4096;

bool hbmOnce(hbm::Context &ctx, const hbm::AllocationOptions &options, bool exportToo)
{
	auto buffer = ctx.allocate({4096, uint32_t(kBytes / 4096), DRM_FORMAT_R8}, options);
	if (!buffer)
		return false;
	if (exportToo) {
		auto planes = (*buffer)->exportPlanes();
		if (!planes)
			return false;
	}
	return true;
}

bool rawOnce(bool exportToo)
{
	int fd = StandInHeap::rawAllocate(kBytes);
	if (fd < 0)
		return false;
	if (exportToo) {
		int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (dup < 0)
			return false;
		::close(dup);
	}
	::close(fd);
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	const int iterations = argc > 1 ? std::atoi(argv[1]) : 1000;
	std::vector<std::unique_ptr<hbm::Allocator>> allocators;
	allocators.push_back(std::make_unique<StandInHeap>());
	auto ctx = hbm::ContextFactory::create(std::move(allocators));
	hbm::AllocationOptions options;
	options.allocator = "dma-heap:system";

	// Once each first: what is made once per process (statics, the log's settings, the
	// first page of the heap) is not per buffer.
	for (bool exportToo : {false, true})
		if (!hbmOnce(*ctx, options, exportToo) || !rawOnce(exportToo)) {
			std::fprintf(stderr, "hbm-instructions: the first allocation failed\n");
			return 1;
		}

	for (bool exportToo : {false, true}) {
		const char *what = exportToo ? "allocate+export+free" : "allocate+free";
		char name[64];
		auto t0 = std::chrono::steady_clock::now();
		CALLGRIND_ZERO_STATS;
		for (int i = 0; i < iterations; ++i)
			if (!hbmOnce(*ctx, options, exportToo))
				return 1;
		std::snprintf(name, sizeof(name), "hbm %s", what);
		CALLGRIND_DUMP_STATS_AT(name);
		auto t1 = std::chrono::steady_clock::now();
		for (int i = 0; i < iterations; ++i)
			if (!rawOnce(exportToo))
				return 1;
		std::snprintf(name, sizeof(name), "raw %s", what);
		CALLGRIND_DUMP_STATS_AT(name);
		auto t2 = std::chrono::steady_clock::now();
		if (!RUNNING_ON_VALGRIND)
			std::printf("%s: hbm %.0f ns, raw %.0f ns (native, not what callgrind counts)\n", what,
				    std::chrono::duration<double, std::nano>(t1 - t0).count() / iterations,
				    std::chrono::duration<double, std::nano>(t2 - t1).count() / iterations);
	}
	std::printf("iterations %d\n", iterations);
	return 0;
}
