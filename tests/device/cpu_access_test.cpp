// SPDX-License-Identifier: MIT
// DMA_BUF_IOCTL_SYNC exactly when needed: one start/end per entry into the CPU domain,
// none for nested access, one per dma-buf for buffers made of several.
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>

#include "device_test.hpp"
#include "dma_buf.hpp"

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
