// SPDX-License-Identifier: MIT
// hbm against what users would otherwise write by hand, side by side in one run:
// raw DMA_HEAP_IOCTL_ALLOC, Mesa GBM, memcpy into malloc'd memory, a bare SCM_RIGHTS
// round trip. benchmarks/ratios.py turns the medians into the README's table.
#include <benchmark/benchmark.h>

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

#include <hbm/hbm.hpp>

#include "dma_buf.hpp"

namespace {

std::shared_ptr<hbm::Context> context()
{
	static std::shared_ptr<hbm::Context> ctx = [] {
		auto made = hbm::Context::create();
		return made ? *made : nullptr;
	}();
	return ctx;
}

std::string allocatorNamed(bool (*match)(const hbm::AllocatorInfo &))
{
	if (context())
		for (const hbm::AllocatorInfo &a : context()->allocators())
			if (match(a))
				return a.name;
	return {};
}

/// An image of exactly @bytes bytes for the size benchmarks: R8, 4096 bytes a row.
hbm::BufferDesc descOfSize(int64_t bytes)
{
	return {4096, uint32_t(bytes / 4096), DRM_FORMAT_R8};
}

std::string vkmsCard()
{
	for (int i = 0; i < 8; ++i) {
		std::string path = "/dev/dri/card" + std::to_string(i);
		hbm::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
		if (!fd)
			continue;
		drmVersionPtr v = drmGetVersion(fd.get());
		bool vkms = v && std::string(v->name) == "vkms";
		drmFreeVersion(v);
		if (vkms)
			return path;
	}
	return {};
}

// --- allocation: hbm vs the raw heap ioctl --------------------------------------------

void BM_RawHeapAlloc(benchmark::State &state)
{
	hbm::UniqueFd heap(::open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC));
	if (!heap) {
		state.SkipWithError("no /dev/dma_heap/system");
		return;
	}
	for (auto _ : state) {
		struct dma_heap_allocation_data data = {};
		data.len = uint64_t(state.range(0));
		data.fd_flags = O_RDWR | O_CLOEXEC;
		if (::ioctl(heap.get(), DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
			state.SkipWithError("DMA_HEAP_IOCTL_ALLOC failed");
			return;
		}
		::close(int(data.fd));
	}
}

void BM_HbmAllocate(benchmark::State &state)
{
	hbm::AllocationOptions options;
	options.allocator = "dma-heap:system";
	for (auto _ : state) {
		auto buffer = context()->allocate(descOfSize(state.range(0)), options);
		if (!buffer) {
			state.SkipWithError(buffer.error().message.c_str());
			return;
		}
		benchmark::DoNotOptimize((*buffer)->planeFd(0).get());
	}
}

void BM_HbmAllocateExport(benchmark::State &state)
{
	hbm::AllocationOptions options;
	options.allocator = "dma-heap:system";
	for (auto _ : state) {
		auto buffer = context()->allocate(descOfSize(state.range(0)), options);
		if (!buffer) {
			state.SkipWithError(buffer.error().message.c_str());
			return;
		}
		auto planes = (*buffer)->exportPlanes();
		benchmark::DoNotOptimize(planes);
	}
}

BENCHMARK(BM_RawHeapAlloc)->Arg(4096)->Arg(1 << 20)->Arg(8 << 20);
BENCHMARK(BM_HbmAllocate)->Arg(4096)->Arg(1 << 20)->Arg(8 << 20);
BENCHMARK(BM_HbmAllocateExport)->Arg(4096)->Arg(1 << 20)->Arg(8 << 20);

// --- allocation on the vkms node: hbm vs Mesa GBM ---------------------------------------

void BM_MesaGbmCreateGetFd(benchmark::State &state)
{
	std::string card = vkmsCard();
	hbm::UniqueFd fd(card.empty() ? -1 : ::open(card.c_str(), O_RDWR | O_CLOEXEC));
	struct gbm_device *gbm = fd ? gbm_create_device(fd.get()) : nullptr;
	if (!gbm) {
		state.SkipWithError("no GBM device on vkms");
		return;
	}
	for (auto _ : state) {
		struct gbm_bo *bo = gbm_bo_create(gbm, 1920, 1080, DRM_FORMAT_XRGB8888,
						  GBM_BO_USE_RENDERING | GBM_BO_USE_LINEAR);
		int dmabuf = bo ? gbm_bo_get_fd(bo) : -1;
		if (dmabuf < 0) {
			state.SkipWithError("gbm_bo_create or gbm_bo_get_fd failed");
			break;
		}
		::close(dmabuf);
		gbm_bo_destroy(bo);
	}
	gbm_device_destroy(gbm);
}

void hbmOnVkms(benchmark::State &state, hbm::AllocatorKind kind)
{
	static hbm::AllocatorKind wanted;
	wanted = kind;
	std::string name = allocatorNamed(
		[](const hbm::AllocatorInfo &a) { return a.kind == wanted && a.drmDriver == "vkms"; });
	if (name.empty()) {
		state.SkipWithError("no such allocator on vkms");
		return;
	}
	hbm::AllocationOptions options;
	options.allocator = name;
	for (auto _ : state) {
		auto buffer = context()->allocate({1920, 1080, DRM_FORMAT_XRGB8888}, options);
		if (!buffer) {
			state.SkipWithError(buffer.error().message.c_str());
			return;
		}
		benchmark::DoNotOptimize((*buffer)->planeFd(0).get());
	}
}

void BM_HbmGbmOnVkms(benchmark::State &state)
{
	hbmOnVkms(state, hbm::AllocatorKind::Gbm);
}

void BM_HbmDumbOnVkms(benchmark::State &state)
{
	hbmOnVkms(state, hbm::AllocatorKind::DrmDumb);
}

BENCHMARK(BM_MesaGbmCreateGetFd);
BENCHMARK(BM_HbmGbmOnVkms);
BENCHMARK(BM_HbmDumbOnVkms);

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

void BM_MemcpyIntoMappedBuffer(benchmark::State &state)
{
	auto buffer = context()->allocate({2048, 1024, DRM_FORMAT_XRGB8888}, {.allocator = "dma-heap:system"});
	if (!buffer) {
		state.SkipWithError(buffer.error().message.c_str());
		return;
	}
	std::vector<uint8_t> source(kCopyBytes, 0x5a);
	auto access = (*buffer)->beginCpuAccess(hbm::CpuAccessMode::Write);
	uint8_t *dst = access->plane(0).data();
	for (auto _ : state) {
		std::memcpy(dst, source.data(), kCopyBytes);
		benchmark::ClobberMemory();
	}
	state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kCopyBytes));
}

void BM_MemcpyIntoMalloc(benchmark::State &state)
{
	std::vector<uint8_t> source(kCopyBytes, 0x5a);
	std::unique_ptr<uint8_t[]> dst(new uint8_t[kCopyBytes]);
	std::memset(dst.get(), 0, kCopyBytes); // fault the pages in, as the mapping's are
	for (auto _ : state) {
		std::memcpy(dst.get(), source.data(), kCopyBytes);
		benchmark::ClobberMemory();
	}
	state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kCopyBytes));
}

BENCHMARK(BM_MemcpyIntoMappedBuffer);
BENCHMARK(BM_MemcpyIntoMalloc);

// --- sharing: hbm's descriptor vs a bare SCM_RIGHTS message -------------------------------

void BM_ScmRightsRoundTrip(benchmark::State &state)
{
	int sv[2];
	::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	hbm::UniqueFd a(sv[0]), b(sv[1]);
	auto buffer = context()->allocate({1920, 1080, DRM_FORMAT_XRGB8888}, {.allocator = "dma-heap:system"});
	if (!buffer) {
		state.SkipWithError(buffer.error().message.c_str());
		return;
	}
	int fd = (*buffer)->planeFd(0).get();
	char payload[104] = {};
	for (auto _ : state) {
		struct iovec iov = {payload, sizeof(payload)};
		alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
		struct msghdr msg = {};
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
		::sendmsg(a.get(), &msg, 0);
		msg.msg_controllen = sizeof(control);
		::recvmsg(b.get(), &msg, MSG_CMSG_CLOEXEC);
		int received;
		std::memcpy(&received, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
		::close(received);
	}
}

void BM_HbmShareRoundTrip(benchmark::State &state)
{
	int sv[2];
	::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	hbm::UniqueFd a(sv[0]), b(sv[1]);
	auto buffer = context()->allocate({1920, 1080, DRM_FORMAT_XRGB8888}, {.allocator = "dma-heap:system"});
	if (!buffer) {
		state.SkipWithError(buffer.error().message.c_str());
		return;
	}
	for (auto _ : state) {
		if (!hbm::sendBuffer(a.get(), **buffer)) {
			state.SkipWithError("sendBuffer failed");
			return;
		}
		auto received = hbm::receiveBuffer(b.get());
		if (!received) {
			state.SkipWithError(received.error().message.c_str());
			return;
		}
	}
}

BENCHMARK(BM_ScmRightsRoundTrip);
BENCHMARK(BM_HbmShareRoundTrip);

} // namespace

BENCHMARK_MAIN();
