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
//
// Where the devices are (the lab guest runs host binaries, valgrind and strace included),
// the same loops run on them: "dma-heap" (the system heap vs DMA_HEAP_IOCTL_ALLOC), "gbm"
// (hbm's gbm:vkms vs Mesa's gbm_bo_create + gbm_bo_get_fd) and "share" (sendBuffer +
// receiveBuffer vs a bare SCM_RIGHTS round trip). "negotiate" counts a negotiation of three
// participants over the stand-in context (nothing by hand to compare it with: its raw loop
// is empty). A side ("hbm" or "raw") runs only that side's loop, for counting system calls
// with strace -c:
// "pool" counts a BufferPool's acquire + release of its one recycled buffer against the poll a
// hand-written pool makes to see that no device holds it.
// "gbm-floor" runs no hbm code: Mesa's path plus the questions hbm's gbm:vkms asks of every
// bo (plane count, modifier, handle and a read-write PRIME export, plane 0's offset and
// stride) against Mesa's path alone: the part of "gbm"'s ratio that is Mesa's.
//   hbm-instructions ITERATIONS [stand-in|negotiate|pool|dma-heap|gbm|gbm-floor|share] [hbm|raw|both]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <functional>
#include <vector>
#include <string_view>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <valgrind/callgrind.h>

#include <drm_fourcc.h>
#include <gbm.h>
#include <linux/dma-heap.h>
#include <xf86drm.h>

#include <hbm-test/display.hpp>
#include <hbm-test/replay.hpp>
#include <hbm/hbm.hpp>

#include "backends/allocator.hpp"
#include "bare_share.hpp"
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
	hbm::Result<void> doAllocateBytes(const hbm::ByteRequest &request, hbm::Bytes &out) override
	{
		const uint64_t size = hbm::pageRound(request.size);
		int fd = rawAllocate(size);
		if (fd < 0)
			return hbm::Error{errno, "memfd"};
		out.fd = hbm::SharedFd(hbm::UniqueFd(fd));
		out.size = out.fdSize = size;
		return {};
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

/// A pair of loops: hbm's and what a user writes by hand with the same kernel calls.
struct Mode {
	std::function<bool(bool exportToo)> hbm, raw;
	bool exportVariant = true; ///< the allocation modes also run with an export
	const char *label = "round trip"; ///< what one operation is, without the export variant
	std::function<void()> cleanup = [] {};
};

/// Outside valgrind: each operation timed on its own, hbm's and the baseline's alternating
/// (which goes first alternates too), and the medians of each side and of their per-pair
/// difference. A median of single operations is not moved by the odd slow one (the
/// kernel's deferred work landing in either side), which the lab's means are.
bool alternatingPass(const char *modeName, const char *what, const Mode &mode, bool exportToo, int iterations)
{
	using Clock = std::chrono::steady_clock;
	std::vector<double> hbmNs, rawNs, difference;
	hbmNs.reserve(size_t(iterations));
	rawNs.reserve(size_t(iterations));
	difference.reserve(size_t(iterations));
	for (int i = 0; i < iterations; ++i) {
		double t[2];
		for (int half = 0; half < 2; ++half) {
			const bool hbmNow = (half == 0) == (i % 2 == 0);
			const auto t0 = Clock::now();
			if (!(hbmNow ? mode.hbm(exportToo) : mode.raw(exportToo)))
				return false;
			t[hbmNow ? 0 : 1] = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
		}
		hbmNs.push_back(t[0]);
		rawNs.push_back(t[1]);
		difference.push_back(t[0] - t[1]);
	}
	const double h = hbm::test::median(std::move(hbmNs)), r = hbm::test::median(std::move(rawNs)),
		     d = hbm::test::median(std::move(difference));
	std::printf("%s %s, alternating, medians of single operations: hbm %.0f ns, raw %.0f ns, "
		    "hbm - raw %.0f ns, ratio %.3f\n",
		    modeName, what, h, r, d, r > 0 ? h / r : 0);
	return true;
}

int run(const char *modeName, const Mode &mode, int iterations, std::string_view side)
{
	const bool hbmSide = side != "raw", rawSide = side != "hbm";
	for (bool exportToo : {false, true}) {
		if (exportToo && !mode.exportVariant)
			break;
		// Once each first: what is made once per process is not per buffer.
		if ((hbmSide && !mode.hbm(exportToo)) || (rawSide && !mode.raw(exportToo))) {
			std::fprintf(stderr, "hbm-instructions: %s: the first round failed\n", modeName);
			return 1;
		}
		const char *what = mode.exportVariant ? (exportToo ? "allocate+export+free" : "allocate+free") : mode.label;
		char name[96];
		auto t0 = std::chrono::steady_clock::now();
		CALLGRIND_ZERO_STATS;
		for (int i = 0; hbmSide && i < iterations; ++i)
			if (!mode.hbm(exportToo))
				return 1;
		std::snprintf(name, sizeof(name), "hbm %s", what);
		if (hbmSide)
			CALLGRIND_DUMP_STATS_AT(name);
		auto t1 = std::chrono::steady_clock::now();
		CALLGRIND_ZERO_STATS;
		for (int i = 0; rawSide && i < iterations; ++i)
			if (!mode.raw(exportToo))
				return 1;
		std::snprintf(name, sizeof(name), "raw %s", what);
		if (rawSide)
			CALLGRIND_DUMP_STATS_AT(name);
		auto t2 = std::chrono::steady_clock::now();
		if (!RUNNING_ON_VALGRIND)
			std::printf("%s %s: hbm %.0f ns, raw %.0f ns (not what callgrind counts)\n", modeName, what,
				    std::chrono::duration<double, std::nano>(t1 - t0).count() / iterations,
				    std::chrono::duration<double, std::nano>(t2 - t1).count() / iterations);
		if (!RUNNING_ON_VALGRIND && hbmSide && rawSide && !alternatingPass(modeName, what, mode, exportToo, iterations))
			return 1;
	}
	std::printf("iterations %d\n", iterations);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	const int iterations = argc > 1 ? std::atoi(argv[1]) : 1000;
	const std::string_view modeName = argc > 2 ? argv[2] : "stand-in";
	const std::string_view side = argc > 3 ? argv[3] : "both";
	hbm::AllocationOptions options;
	Mode mode;
	std::shared_ptr<hbm::Context> ctx;
	if (modeName == "stand-in" || modeName == "negotiate" || modeName == "pool") {
		std::vector<std::unique_ptr<hbm::Allocator>> allocators;
		allocators.push_back(std::make_unique<StandInHeap>());
		ctx = hbm::ContextFactory::create(std::move(allocators));
		// No allocator named: the call a user writes (the context holds the stand-in
		// alone). Naming it measured a shorter path than users take, and hid that the
		// default one built its refusal before trying anything (docs/performance.md).
		mode.hbm = [&](bool e) { return hbmOnce(*ctx, options, e); };
		mode.raw = rawOnce;
	} else {
		auto made = hbm::Context::create();
		if (!made) {
			std::fprintf(stderr, "hbm-instructions: %s\n", made.error().toString().c_str());
			return 1;
		}
		ctx = *made;
	}
	static hbm::UniqueFd heap, card;
	static struct gbm_device *gbm = nullptr;
	static int sv[2] = {-1, -1};
	static std::shared_ptr<hbm::Buffer> shared;
	if (modeName == "dma-heap") {
		heap = hbm::UniqueFd(::open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC));
		if (!heap) {
			std::fprintf(stderr, "hbm-instructions: no /dev/dma_heap/system\n");
			return 1;
		}
		options.allocator = "dma-heap:system";
		mode.hbm = [&](bool e) { return hbmOnce(*ctx, options, e); };
		mode.raw = [](bool e) {
			struct dma_heap_allocation_data data = {};
			data.len = kBytes;
			data.fd_flags = O_RDWR | O_CLOEXEC;
			if (::ioctl(heap.get(), DMA_HEAP_IOCTL_ALLOC, &data) < 0)
				return false;
			if (e)
				::close(::fcntl(int(data.fd), F_DUPFD_CLOEXEC, 0));
			::close(int(data.fd));
			return true;
		};
	} else if (modeName == "gbm" || modeName == "gbm-floor") {
		// Mesa's 1080p linear bo, as both GBM baselines make it.
		static auto mesaBo = [] {
			return gbm_bo_create(gbm, 1920, 1080, DRM_FORMAT_XRGB8888, GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR);
		};
		for (const hbm::AllocatorInfo &a : ctx->allocators())
			if (a.kind == hbm::AllocatorKind::Gbm && a.drmDriver == "vkms")
				options.allocator = a.name;
		std::string path = hbm::test::cardForDriver("vkms");
		card = hbm::UniqueFd(path.empty() ? -1 : ::open(path.c_str(), O_RDWR | O_CLOEXEC));
		if (card && drmIsMaster(card.get()))
			drmDropMaster(card.get());
		gbm = card ? gbm_create_device(card.get()) : nullptr;
		if (!gbm || options.allocator.empty()) {
			std::fprintf(stderr, "hbm-instructions: no GBM device or hbm allocator on vkms\n");
			return 1;
		}
		mode.exportVariant = false; // both sides export: gbm_bo_get_fd is Mesa's export
		mode.label = "allocate+export+free";
		mode.hbm = [&](bool) { return bool(ctx->allocate({1920, 1080, DRM_FORMAT_XRGB8888}, options)); };
		if (modeName == "gbm-floor") {
			mode.label = "Mesa + hbm's questions";
			mode.hbm = [](bool) {
				struct gbm_bo *bo = mesaBo();
				if (!bo)
					return false;
				int fd = -1;
				const uint64_t modifier = gbm_bo_get_modifier(bo); // USE_LINEAR gave LINEAR
				const bool asked = gbm_bo_get_plane_count(bo) == 1 &&
						   (modifier == DRM_FORMAT_MOD_LINEAR || modifier == DRM_FORMAT_MOD_INVALID) &&
						   drmPrimeHandleToFD(card.get(), gbm_bo_get_handle(bo).u32,
								      DRM_CLOEXEC | DRM_RDWR, &fd) == 0 &&
						   gbm_bo_get_offset(bo, 0) == 0 && gbm_bo_get_stride_for_plane(bo, 0) > 0;
				// hbm's order: the bo, then its dma-buf (Allocation's members).
				gbm_bo_destroy(bo);
				if (fd >= 0)
					::close(fd);
				return asked;
			};
		}
		mode.raw = [](bool) {
			struct gbm_bo *bo = mesaBo();
			int fd = bo ? gbm_bo_get_fd(bo) : -1;
			if (fd >= 0)
				::close(fd);
			if (bo)
				gbm_bo_destroy(bo);
			return fd >= 0;
		};
	} else if (modeName == "share") {
		auto made = ctx->allocate({1920, 1080, DRM_FORMAT_XRGB8888}, {.allocator = "dma-heap:system"});
		if (!made || ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			std::fprintf(stderr, "hbm-instructions: no dma-heap:system buffer or socket pair\n");
			return 1;
		}
		shared = *made;
		mode.exportVariant = false;
		mode.hbm = [](bool) { return hbm::sendBuffer(sv[0], *shared) && hbm::receiveBuffer(sv[1]); };
		mode.raw = [](bool) {
			return hbm::bench::bareScmRightsRoundTrip(sv[0], sv[1], shared->planeFd(0).get()) == nullptr;
		};
	} else if (modeName == "negotiate") {
		// A display plane, a decoder and an encoder that agree on NV12 LINEAR.
		static std::vector<hbm::Participant> three;
		hbm::Participant display = hbm::declaredParticipant(
			"display", hbm::FormatSet({DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12}, {DRM_FORMAT_MOD_LINEAR}));
		display.constraints.strideAlignment = 256;
		three = {display, hbm::declaredParticipant("decoder", hbm::FormatSet({DRM_FORMAT_NV12}, {DRM_FORMAT_MOD_LINEAR})),
			 hbm::declaredParticipant("encoder", hbm::FormatSet({DRM_FORMAT_NV12, DRM_FORMAT_YUV420},
									    {DRM_FORMAT_MOD_LINEAR}))};
		mode.exportVariant = false;
		mode.label = "negotiate 3 participants";
		mode.hbm = [&](bool) { return bool(ctx->negotiate({1920, 1080, {DRM_FORMAT_NV12}}, three)); };
		mode.raw = [](bool) { return true; };
	} else if (modeName == "pool") {
		// A pool of one 4 KiB buffer, made by the first round: each further round leases the
		// recycled buffer and gives it back. By hand, a pool of one still asks whether a
		// device holds the buffer before handing it out (a poll), as the pool does.
		static std::shared_ptr<hbm::BufferPool> pool;
		auto made = hbm::BufferPool::create(ctx, {uint32_t(kBytes / 4), 1, {DRM_FORMAT_XRGB8888}}, {}, 1);
		if (!made) {
			std::fprintf(stderr, "hbm-instructions: %s\n", made.error().toString().c_str());
			return 1;
		}
		pool = *made;
		mode.exportVariant = false;
		mode.label = "acquire+release";
		mode.hbm = [](bool) {
			auto lease = pool->acquire();
			return lease && lease->release();
		};
		static int idleFd = -1;
		mode.raw = [](bool) {
			if (idleFd < 0) {
				auto lease = pool->acquire();
				if (!lease)
					return false;
				idleFd = lease->buffer()->planeFd(0).get(); // the pool keeps the buffer
			}
			struct pollfd p = {idleFd, POLLOUT, 0};
			return ::poll(&p, 1, 0) == 1;
		};
	} else if (modeName != "stand-in") {
		std::fprintf(stderr, "hbm-instructions: unknown mode '%s' (stand-in, negotiate, pool, dma-heap, gbm, share)\n",
			     std::string(modeName).c_str());
		return 2;
	}
	int status = run(std::string(modeName).c_str(), mode, iterations, side);
	shared.reset();
	if (gbm)
		gbm_device_destroy(gbm);
	return status;
}
