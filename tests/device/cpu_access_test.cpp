// SPDX-License-Identifier: MIT
// DMA_BUF_IOCTL_SYNC exactly when needed: one start/end per entry into the CPU domain,
// none for nested access, one per dma-buf for buffers made of several; read-only dma-bufs
// are mapped read-only.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <drm_fourcc.h>
#include <linux/dma-heap.h>
#include <xf86drm.h>

#include <hbm/buffer.hpp>
#include <hbm/hbm.h>

#include "device_test.hpp"
#include "base/dma_buf.hpp"

using namespace hbm;
using namespace hbm::test;

TEST(CpuAccess, NestedAccessAddsNoSync)
{
	std::string system = allocatorFor("system");
	HBM_REQUIRE_DEVICE(!system.empty(), "no system dma-heap");
	auto buffer = allocateFrom(system, {256, 256, DRM_FORMAT_XRGB8888});
	ASSERT_TRUE(buffer);
	DmaBufSyncCounters before = dmaBufSyncCounters();
	{
		auto outer = buffer->beginCpuAccess(CpuAccessMode::ReadWrite);
		ASSERT_TRUE(outer);
		for (int i = 0; i < 10; ++i) {
			auto inner = buffer->beginCpuAccess(i % 2 ? CpuAccessMode::Read : CpuAccessMode::Write);
			ASSERT_TRUE(inner);
			inner->plane(0)[i] = uint8_t(i);
		}
	}
	DmaBufSyncCounters after = dmaBufSyncCounters();
	EXPECT_EQ(after.starts - before.starts, 1u);
	EXPECT_EQ(after.ends - before.ends, 1u);

	// Widening read to read+write inside the CPU domain announces the write once.
	before = after;
	{
		auto outer = buffer->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(outer);
		auto inner = buffer->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(inner);
		EXPECT_EQ(outer->plane(0)[3], 3);
	}
	after = dmaBufSyncCounters();
	EXPECT_EQ(after.starts - before.starts, 2u);
	EXPECT_EQ(after.ends - before.ends, 1u);
}

TEST(CpuAccess, PlanesInTwoDmaBufsSyncEach)
{
	std::string system = allocatorFor("system");
	HBM_REQUIRE_DEVICE(!system.empty(), "no system dma-heap");
	// NV12 with luma and chroma in separate dma-bufs (as V4L2's NV12M hands them out).
	auto luma = allocateFrom(system, {640, 480, DRM_FORMAT_R8});
	auto chroma = allocateFrom(system, {320, 240, DRM_FORMAT_GR88});
	ASSERT_TRUE(luma && chroma);
	ImportDesc desc{640, 480, DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR,
			{{luma->planeFd(0).get(), 0, luma->layout().planes[0].stride},
			 {chroma->planeFd(0).get(), 0, chroma->layout().planes[0].stride}}};
	auto nv12 = Buffer::import(desc);
	ASSERT_TRUE(nv12) << nv12.error().toString();
	EXPECT_EQ((*nv12)->memoryCount(), 2u);

	DmaBufSyncCounters before = dmaBufSyncCounters();
	{
		auto access = (*nv12)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(access) << access.error().toString();
		access->plane(0)[0] = 0x11;
		access->plane(1)[0] = 0x22;
	}
	DmaBufSyncCounters after = dmaBufSyncCounters();
	EXPECT_EQ(after.starts - before.starts, 2u);
	EXPECT_EQ(after.ends - before.ends, 2u);

	auto y = luma->beginCpuAccess(CpuAccessMode::Read);
	auto uv = chroma->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_TRUE(y && uv);
	EXPECT_EQ(y->plane(0)[0], 0x11);
	EXPECT_EQ(uv->plane(0)[0], 0x22);
}

namespace {

/// A 64x64 XRGB8888 dumb buffer of @card filled with a byte pattern, exported without
/// DRM_RDWR — as gbm_bo_get_fd() exports: the dma-buf's descriptor is O_RDONLY.
UniqueFd readOnlyDumbBuffer(int card, std::vector<uint8_t> *pattern)
{
	struct drm_mode_create_dumb create = {};
	create.width = 64;
	create.height = 64;
	create.bpp = 32;
	if (drmIoctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return {};
	std::shared_ptr<void> destroy(nullptr, [&](void *) {
		struct drm_mode_destroy_dumb d = {create.handle};
		drmIoctl(card, DRM_IOCTL_MODE_DESTROY_DUMB, &d);
	});
	struct drm_mode_map_dumb map = {};
	map.handle = create.handle;
	if (drmIoctl(card, DRM_IOCTL_MODE_MAP_DUMB, &map))
		return {};
	void *data = ::mmap(nullptr, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, card, off_t(map.offset));
	if (data == MAP_FAILED)
		return {};
	pattern->resize(create.size);
	for (size_t i = 0; i < pattern->size(); ++i)
		(*pattern)[i] = uint8_t(i * 7 + 1);
	std::memcpy(data, pattern->data(), pattern->size());
	::munmap(data, create.size);
	int fd = -1;
	if (drmPrimeHandleToFD(card, create.handle, DRM_CLOEXEC, &fd))
		return {};
	return UniqueFd(fd);
}

} // namespace

// A read-only dma-buf imported and read: mmap(PROT_READ | PROT_WRITE) failed with EACCES
// (issue 8). It is mapped read-only now, and a write access is refused by name.
TEST(CpuAccess, ReadOnlyDmaBufCanBeReadNotWritten)
{
	auto vkms = KmsDevice::openByDriver("vkms");
	HBM_REQUIRE_DEVICE(vkms.ok(), vkms ? "" : vkms.error().message);
	std::vector<uint8_t> pattern;
	UniqueFd fd = readOnlyDumbBuffer((*vkms)->fd(), &pattern);
	ASSERT_TRUE(fd.isValid()) << "cannot make a read-only dumb buffer: " << std::strerror(errno);
	ASSERT_EQ(::fcntl(fd.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
	ASSERT_EQ(pattern.size(), 64u * 64 * 4);
	const size_t fdsBefore = openFdCount();
	{
		auto buffer = Buffer::import({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd.get(), 0, 256}}});
		ASSERT_TRUE(buffer) << buffer.error().toString();
		{
			auto read = (*buffer)->beginCpuAccess(CpuAccessMode::Read);
			ASSERT_TRUE(read) << read.error().toString();
			auto plane = read->plane(0);
			ASSERT_EQ(plane.size(), pattern.size());
			EXPECT_TRUE(std::equal(plane.begin(), plane.end(), pattern.begin())) << "the pattern did not read back";
		}
		for (CpuAccessMode mode : {CpuAccessMode::Write, CpuAccessMode::ReadWrite}) {
			auto write = (*buffer)->beginCpuAccess(mode);
			ASSERT_FALSE(write) << "a read-only dma-buf was given a write access";
			EXPECT_EQ(write.error().code, EACCES);
			EXPECT_NE(write.error().message.find("the import buffer was imported read-only (its fd is O_RDONLY): it "
							     "can be read, not written"),
				  std::string::npos)
				<< write.error().message;
		}
	}

	// The same through the C ABI.
	struct hbm_plane_import plane = {sizeof(plane), fd.get(), 256, 0};
	struct hbm_import_options import{};
	import.size = sizeof(import);
	import.width = 64;
	import.height = 64;
	import.format = DRM_FORMAT_XRGB8888;
	import.modifier = DRM_FORMAT_MOD_LINEAR;
	import.planes = &plane;
	import.plane_count = 1;
	struct hbm_buffer *buffer = nullptr;
	ASSERT_EQ(hbm_buffer_create_from_fds(&import, &buffer), 0) << hbm_last_error();
	struct hbm_cpu_access *access = nullptr;
	ASSERT_EQ(hbm_buffer_begin_cpu_access(buffer, HBM_CPU_READ, &access), 0) << hbm_last_error();
	size_t size = 0;
	const auto *data = static_cast<const uint8_t *>(hbm_cpu_access_plane_data(access, 0, &size));
	ASSERT_EQ(size, pattern.size());
	EXPECT_TRUE(std::equal(data, data + size, pattern.begin()));
	EXPECT_EQ(hbm_cpu_access_end(access), 0);
	EXPECT_EQ(hbm_buffer_begin_cpu_access(buffer, HBM_CPU_WRITE, &access), -EACCES);
	EXPECT_NE(std::string(hbm_last_error()).find("imported read-only"), std::string::npos) << hbm_last_error();
	hbm_buffer_unref(buffer);
	EXPECT_EQ(openFdCount(), fdsBefore);
}

// A dma-buf the system heap made O_RDONLY (DMA_HEAP_IOCTL_ALLOC's fd_flags; reopening
// /proc/self/fd/N of a dma-buf is ENXIO on 6.12): its zeroed pages read back.
TEST(CpuAccess, ReadOnlyHeapDmaBufReadsItsZeroes)
{
	HBM_REQUIRE_DEVICE(!allocatorFor("system").empty(), "no system dma-heap");
	UniqueFd heap(::open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC));
	ASSERT_TRUE(heap.isValid());
	struct dma_heap_allocation_data alloc = {};
	alloc.len = 64 * 64 * 4;
	alloc.fd_flags = O_RDONLY | O_CLOEXEC;
	ASSERT_EQ(::ioctl(heap.get(), DMA_HEAP_IOCTL_ALLOC, &alloc), 0) << std::strerror(errno);
	UniqueFd fd(int(alloc.fd));
	auto buffer = Buffer::import({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd.get(), 0, 256}}});
	ASSERT_TRUE(buffer) << buffer.error().toString();
	{
		auto read = (*buffer)->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(read) << read.error().toString();
		auto plane = read->plane(0);
		EXPECT_TRUE(std::all_of(plane.begin(), plane.end(), [](uint8_t b) { return b == 0; }));
	}
	auto write = (*buffer)->beginCpuAccess(CpuAccessMode::Write);
	ASSERT_FALSE(write);
	EXPECT_EQ(write.error().code, EACCES) << write.error().toString();
}
