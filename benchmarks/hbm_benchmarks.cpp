// SPDX-License-Identifier: MIT
// hbm against what users would otherwise write by hand, side by side in one run:
// raw DMA_HEAP_IOCTL_ALLOC, Mesa GBM, memcpy into malloc'd memory, a bare SCM_RIGHTS
// round trip. benchmarks/ratios.py turns the medians into the README's table.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gbm.h>
#include <linux/dma-heap.h>
#include <xf86drm.h>

#include <hbm-test/display.hpp>
#include <hbm/hbm.hpp>
#include <hbm-test/replay.hpp>
#include <hbm-test/synthetic_trace.hpp>

#include "bare_share.hpp"

#include "base/dma_buf.hpp"
#include "negotiation_private.hpp"

namespace {

/// The benchmarks' one context, held as a user holds theirs: a reference, so that calling
/// this inside a timed loop copies no shared_ptr (two atomic read-modify-writes the
/// allocation itself never makes).
const std::shared_ptr<hbm::Context> &context()
{
	static const std::shared_ptr<hbm::Context> ctx = [] {
		auto made = hbm::Context::create();
		return made ? *made : nullptr;
	}();
	return ctx;
}

/// An image of exactly @bytes bytes for the size benchmarks: R8, 4096 bytes a row.
hbm::BufferDesc descOfSize(int64_t bytes)
{
	return {4096, uint32_t(bytes / 4096), DRM_FORMAT_R8};
}

/// Runs @baseline and @hbm alternately in every iteration (which goes first alternates
/// too), timing each half, so both see the same machine: on shared, emulated machines only
/// a ratio measured this way means anything. Reports each side's mean and their ratio.
template<typename Baseline, typename Hbm>
void sideBySide(benchmark::State &state, Baseline baseline, Hbm hbm)
{
	using Clock = std::chrono::steady_clock;
	Clock::duration tBaseline{}, tHbm{};
	bool hbmFirst = false;
	for (auto _ : state) {
		for (int half = 0; half < 2; ++half) {
			bool runHbm = (half == 0) == hbmFirst;
			auto t0 = Clock::now();
			const char *failed = runHbm ? hbm() : baseline();
			auto t1 = Clock::now();
			if (failed) {
				state.SkipWithError(failed);
				return;
			}
			(runHbm ? tHbm : tBaseline) += t1 - t0;
		}
		hbmFirst = !hbmFirst;
	}
	const double n = double(state.iterations());
	const double base = std::chrono::duration<double, std::nano>(tBaseline).count();
	const double mine = std::chrono::duration<double, std::nano>(tHbm).count();
	state.counters["baseline_ns"] = base / n;
	state.counters["hbm_ns"] = mine / n;
	state.counters["ratio"] = base > 0 ? mine / base : 0;
}

// --- allocation: hbm vs the raw heap ioctl --------------------------------------------

void BM_AllocateVsRawHeapIoctl(benchmark::State &state)
{
	hbm::UniqueFd heap(::open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC));
	if (!heap || !context()) {
		state.SkipWithError("no /dev/dma_heap/system");
		return;
	}
	const uint64_t bytes = uint64_t(state.range(0));
	const bool exportToo = state.range(1) != 0;
	hbm::AllocationOptions options;
	options.allocator = "dma-heap:system";
	sideBySide(
		state,
		[&]() -> const char * {
			struct dma_heap_allocation_data data = {};
			data.len = bytes;
			data.fd_flags = O_RDWR | O_CLOEXEC;
			if (::ioctl(heap.get(), DMA_HEAP_IOCTL_ALLOC, &data) < 0)
				return "DMA_HEAP_IOCTL_ALLOC failed";
			// The same export by hand: a descriptor for someone else while the buffer's
			// own stays (hbm-instructions' by-hand export; before the seventh round this
			// side made no dup, and the ratio charged hbm two system calls more).
			if (exportToo)
				::close(::fcntl(int(data.fd), F_DUPFD_CLOEXEC, 0));
			::close(int(data.fd));
			return nullptr;
		},
		[&]() -> const char * {
			auto buffer = context()->allocate(descOfSize(int64_t(bytes)), options);
			if (!buffer)
				return "hbm allocation failed";
			if (exportToo) {
				auto planes = (*buffer)->exportPlanes(); // a dup the caller owns
				benchmark::DoNotOptimize(planes);
			}
			return nullptr;
		});
}
/// 4 KiB to 32 MiB, without and with a dup'd export: benchmarks/plot.py draws the curve
/// (build/bench/ratios.svg), benchmarks/ratios.py's targets are the 4 KiB, 1 MiB and 8 MiB
/// rows. No iteration limit is needed for the big sizes: a repetition stops at the default
/// minimum time (0.5 s) or after one iteration, whichever is later, and on the lab guest
/// (qemu TCG) one 8 MiB allocation took about 40 ms, so 32 MiB should stay near a second a
/// repetition: an estimated two to four minutes for the 18 runs x 9 repetitions there.
void allocationSizes(benchmark::internal::Benchmark *b)
{
	b->ArgNames({"bytes", "dup_export"});
	for (int64_t exportToo : {0, 1})
		for (int64_t bytes : {4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20, 32 << 20})
			b->Args({bytes, exportToo});
}
BENCHMARK(BM_AllocateVsRawHeapIoctl)->Apply(allocationSizes);

// --- allocation on the vkms node: hbm vs Mesa GBM ---------------------------------------

void BM_VkmsAllocateVsMesaGbm(benchmark::State &state)
{
	const auto kind = state.range(0) ? hbm::AllocatorKind::Gbm : hbm::AllocatorKind::DrmDumb;
	std::string name;
	if (context())
		for (const hbm::AllocatorInfo &a : context()->allocators())
			if (a.kind == kind && a.drmDriver == "vkms")
				name = a.name;
	std::string card = hbm::test::cardForDriver("vkms");
	hbm::UniqueFd fd(card.empty() ? -1 : ::open(card.c_str(), O_RDWR | O_CLOEXEC));
	if (fd && drmIsMaster(fd.get()))
		drmDropMaster(fd.get());
	struct gbm_device *gbm = fd ? gbm_create_device(fd.get()) : nullptr;
	if (!gbm || name.empty()) {
		state.SkipWithError("no GBM device or hbm allocator on vkms");
		if (gbm)
			gbm_device_destroy(gbm);
		return;
	}
	hbm::AllocationOptions options;
	options.allocator = name;
	sideBySide(
		state,
		[&]() -> const char * {
			struct gbm_bo *bo = gbm_bo_create(gbm, 1920, 1080, DRM_FORMAT_XRGB8888,
							  GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR);
			int dmabuf = bo ? gbm_bo_get_fd(bo) : -1;
			if (dmabuf < 0)
				return "gbm_bo_create or gbm_bo_get_fd failed";
			::close(dmabuf);
			gbm_bo_destroy(bo);
			return nullptr;
		},
		[&]() -> const char * {
			auto buffer = context()->allocate({1920, 1080, DRM_FORMAT_XRGB8888}, options);
			return buffer ? nullptr : "hbm allocation failed";
		});
	gbm_device_destroy(gbm);
}
BENCHMARK(BM_VkmsAllocateVsMesaGbm)->ArgName("hbm_gbm")->Arg(1)->Arg(0);

// --- CPU access: syncs per domain switch, write bandwidth ---------------------------------

void BM_SyncSteadyWriteLoop(benchmark::State &state)
{
	auto buffer = context()->allocate({1920, 1080, DRM_FORMAT_XRGB8888}, {.allocator = "dma-heap:system"});
	if (!buffer) {
		state.SkipWithError(buffer.error().message.c_str());
		return;
	}
	hbm::DmaBufSyncCounters before = hbm::dmaBufSyncCounters();
	for (auto _ : state) {
		// One entry into the CPU domain (read and write) with three nested accesses inside.
		auto outer = (*buffer)->beginCpuAccess(hbm::CpuAccessMode::ReadWrite);
		for (int k = 0; k < 3; ++k) {
			auto inner = (*buffer)->beginCpuAccess(k == 1 ? hbm::CpuAccessMode::Read : hbm::CpuAccessMode::Write);
			inner->plane(0)[size_t(k) * 4096] = uint8_t(k);
		}
	}
	hbm::DmaBufSyncCounters after = hbm::dmaBufSyncCounters();
	double n = double(state.iterations());
	state.counters["sync_starts_per_switch"] = double(after.starts - before.starts) / n;
	state.counters["sync_ends_per_switch"] = double(after.ends - before.ends) / n;
}
BENCHMARK(BM_SyncSteadyWriteLoop);

constexpr size_t kCopyBytes = 8 << 20;

void BM_WriteMappedBufferVsMalloc(benchmark::State &state)
{
	auto buffer = context()->allocate({2048, 1024, DRM_FORMAT_XRGB8888}, {.allocator = "dma-heap:system"});
	if (!buffer) {
		state.SkipWithError(buffer.error().message.c_str());
		return;
	}
	std::vector<uint8_t> source(kCopyBytes, 0x5a);
	std::unique_ptr<uint8_t[]> plain(new uint8_t[kCopyBytes]);
	std::memset(plain.get(), 0, kCopyBytes); // fault the pages in, as the mapping's are
	auto access = (*buffer)->beginCpuAccess(hbm::CpuAccessMode::Write);
	uint8_t *mapped = access->plane(0).data();
	std::memset(mapped, 0, kCopyBytes);
	sideBySide(
		state,
		[&]() -> const char * {
			std::memcpy(plain.get(), source.data(), kCopyBytes);
			benchmark::ClobberMemory();
			return nullptr;
		},
		[&]() -> const char * {
			std::memcpy(mapped, source.data(), kCopyBytes);
			benchmark::ClobberMemory();
			return nullptr;
		});
	// For bandwidth, a ratio of times inverts: report it as mapped / malloc throughput.
	state.counters["bandwidth_ratio"] = state.counters["baseline_ns"] / state.counters["hbm_ns"];
	state.counters["mapped_GiBps"] = double(kCopyBytes) / state.counters["hbm_ns"] * 1e9 / double(1 << 30);
	state.counters["malloc_GiBps"] = double(kCopyBytes) / state.counters["baseline_ns"] * 1e9 / double(1 << 30);
}
BENCHMARK(BM_WriteMappedBufferVsMalloc);

// --- sharing: hbm's descriptor vs a bare SCM_RIGHTS message -------------------------------

void BM_ShareVsBareScmRights(benchmark::State &state)
{
	int sv[2];
	::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	hbm::UniqueFd a(sv[0]), b(sv[1]);
	auto buffer = context()->allocate({1920, 1080, DRM_FORMAT_XRGB8888}, {.allocator = "dma-heap:system"});
	if (!buffer) {
		state.SkipWithError(buffer.error().message.c_str());
		return;
	}
	const int fd = (*buffer)->planeFd(0).get();
	sideBySide(
		state,
		[&]() -> const char * { return hbm::bench::bareScmRightsRoundTrip(a.get(), b.get(), fd); },
		[&]() -> const char * {
			if (!hbm::sendBuffer(a.get(), **buffer))
				return "sendBuffer failed";
			auto received = hbm::receiveBuffer(b.get());
			return received ? nullptr : "receiveBuffer failed";
		});
}
BENCHMARK(BM_ShareVsBareScmRights);

// --- negotiation --------------------------------------------------------------------

hbm::AllocatorInfo declaredAllocator(const std::string &name, bool contiguous, const hbm::FormatSet &formats)
{
	hbm::AllocatorInfo a;
	a.name = name;
	a.contiguous = contiguous;
	a.deviceImportable = true;
	a.formats = formats;
	return a;
}

void BM_NegotiateThreeParticipants(benchmark::State &state)
{
	// A display plane, a camera and a no-IOMMU panel, as a camera app on a SoC has them.
	hbm::FormatSet linear;
	for (const hbm::FormatInfo &f : hbm::knownFormats())
		linear.add(f.fourcc, DRM_FORMAT_MOD_LINEAR);
	hbm::Participant plane{hbm::DeclaredIdentity{"primary plane"}, "test",
			       {hbm::FormatSet({DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_RGB565, DRM_FORMAT_NV12},
					       {DRM_FORMAT_MOD_LINEAR, I915_FORMAT_MOD_X_TILED})}};
	hbm::Participant camera{hbm::DeclaredIdentity{"camera"}, "test", {hbm::FormatSet({DRM_FORMAT_NV12, DRM_FORMAT_YUYV, DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR})}};
	camera.constraints.strideAlignment = 32;
	hbm::Participant panel{hbm::DeclaredIdentity{"panel"}, "test", {hbm::FormatSet({DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR})}};
	panel.constraints.placement.contiguous = true;
	std::vector<hbm::AllocatorInfo> allocators = {declaredAllocator("dma-heap:system", false, linear),
						      declaredAllocator("udmabuf", false, linear),
						      declaredAllocator("dma-heap:reserved", true, linear)};
	const hbm::Request request{1920, 1080, {DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}};
	for (auto _ : state) {
		auto plan = hbm::negotiate(request, {plane, camera, panel}, allocators);
		if (!plan) {
			state.SkipWithError(plan.error().message.c_str());
			return;
		}
		benchmark::DoNotOptimize(plan->allocator());
	}
}
BENCHMARK(BM_NegotiateThreeParticipants);

void BM_NegotiateManyParticipants(benchmark::State &state)
{
	// range(0) participants, each taking 200 formats x 30 modifiers.
	const int participants = int(state.range(0));
	hbm::FormatSet wide;
	for (uint32_t f = 0; f < 199; ++f)
		for (uint64_t m = 0; m < 30; ++m)
			wide.add(fourcc_code('T', 'S', char('0' + f / 100), char(f % 100)), (uint64_t(0x01) << 56) | m);
	for (uint64_t m = 0; m < 29; ++m)
		wide.add(DRM_FORMAT_XRGB8888, (uint64_t(0x01) << 56) | m);
	wide.add(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
	std::vector<hbm::Participant> list;
	for (int i = 0; i < participants; ++i)
		list.push_back({hbm::DeclaredIdentity{"participant " + std::to_string(i)}, "test", {wide}});
	std::vector<hbm::AllocatorInfo> allocators = {declaredAllocator("gbm:test", false, wide)};
	const hbm::Request request{1920, 1080, {DRM_FORMAT_XRGB8888}};
	for (auto _ : state) {
		auto plan = hbm::negotiate(request, list, allocators);
		if (!plan) {
			state.SkipWithError(plan.error().message.c_str());
			return;
		}
		benchmark::DoNotOptimize(plan->modifier());
	}
	state.SetComplexityN(participants);
}
BENCHMARK(BM_NegotiateManyParticipants)->RangeMultiplier(2)->Range(1, 16)->Complexity(benchmark::oN);

// --- pools ------------------------------------------------------------------------------

void BM_PoolVsFreshAllocation(benchmark::State &state)
{
	const uint32_t format = state.range(0) ? DRM_FORMAT_NV12 : DRM_FORMAT_XRGB8888;
	auto plan = context() ? context()->negotiate({1920, 1080, {format}}, {}) : hbm::Result<hbm::Plan>(hbm::Error{ENODEV, "no context"});
	if (!plan || plan->allocator() != "dma-heap:system") {
		state.SkipWithError("no dma-heap:system plan");
		return;
	}
	auto pool = hbm::BufferPool::create(context(), {1920, 1080, {format}}, {}, 2);
	// Fill the pool first: what is measured is reuse, not the pool's first allocation
	// (which, averaged into the loop, made an 8 MiB pool look 40x slower than it is).
	if (!(*pool)->acquire()) {
		state.SkipWithError("pool acquire failed");
		return;
	}
	sideBySide(
		state,
		[&]() -> const char * {
			auto fresh = context()->allocate(*plan);
			return fresh ? nullptr : "allocation failed";
		},
		[&]() -> const char * {
			auto reused = (*pool)->acquire();
			return reused ? nullptr : "pool acquire failed";
		});
}
BENCHMARK(BM_PoolVsFreshAllocation)->ArgName("nv12")->Arg(0)->Arg(1);

// --- regions ----------------------------------------------------------------------------

void BM_RegionReplay(benchmark::State &state)
{
	const char *algorithm = state.range(0) ? "best-fit" : "first-fit";
	static const auto events = hbm::parseTrace(hbm::test::syntheticTrace(11, 20000));
	hbm::test::ReplayReport report;
	for (auto _ : state) {
		auto r = hbm::test::replayOnRegion(*events, algorithm, uint64_t(state.range(1)) << 20);
		if (!r) {
			state.SkipWithError(r.error().message.c_str());
			return;
		}
		report = *r;
	}
	state.SetLabel(algorithm);
	state.counters["allocate_ns"] = report.medianAllocateNs;
	state.counters["release_ns"] = report.medianReleaseNs;
	state.counters["failures"] = double(report.failures);
	state.counters["largest_free_share_end"] =
		report.freeAtEnd ? double(report.largestFreeAtEnd) / double(report.freeAtEnd) : 1.0;
	state.counters["largest_free_share_worst"] = report.worstLargestFreeShare;
	state.counters["largest_free_share_mean"] = report.meanLargestFreeShare;
}
BENCHMARK(BM_RegionReplay)
	->ArgNames({"best_fit", "region_mib"})
	->Args({1, 128})->Args({0, 128})->Args({1, 192})->Args({0, 192})
	->Iterations(3);

/// The same trace with seeds 1 to 20: one seed's end state is a single sample, the mean
/// over seeds and operations is what a placement policy is judged by.
void BM_RegionReplaySeeds(benchmark::State &state)
{
	const char *algorithm = state.range(0) ? "best-fit" : "first-fit";
	std::vector<std::vector<hbm::TraceEvent>> traces;
	for (unsigned seed = 1; seed <= 20; ++seed)
		traces.push_back(*hbm::parseTrace(hbm::test::syntheticTrace(seed, 20000)));
	double meanShare = 0, endShare = 0, failures = 0;
	for (auto _ : state) {
		meanShare = endShare = failures = 0;
		for (const auto &events : traces) {
			auto r = hbm::test::replayOnRegion(events, algorithm, uint64_t(state.range(1)) << 20);
			if (!r) {
				state.SkipWithError(r.error().message.c_str());
				return;
			}
			meanShare += r->meanLargestFreeShare / double(traces.size());
			endShare += (r->freeAtEnd ? double(r->largestFreeAtEnd) / double(r->freeAtEnd) : 1.0) /
				    double(traces.size());
			failures += double(r->failures);
		}
	}
	state.SetLabel(algorithm);
	state.counters["largest_free_share_mean"] = meanShare;
	state.counters["largest_free_share_end"] = endShare;
	state.counters["failures"] = failures;
}
BENCHMARK(BM_RegionReplaySeeds)
	->ArgNames({"best_fit", "region_mib"})
	->Args({1, 128})->Args({0, 128})
	->Iterations(1);

} // namespace

BENCHMARK_MAIN();
