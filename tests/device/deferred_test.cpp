// SPDX-License-Identifier: MIT
// Deferred allocation (cenalloc) on the real kernel: a buffer is described, devices attach,
// a conflicting attach is refused and changes nothing, storage comes at first use from the
// place the plan chose, and a late attach is checked against the storage that exists.
#include <cerrno>
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

class Deferred : public VkmsPlanes
{
protected:
	void SetUp() override
	{
		VkmsPlanes::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		panel_.name = "panel without IOMMU (declared)";
		panel_.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
		panel_.constraints.placement.contiguous = true;
		HBM_REQUIRE_DEVICE(!allocatorFor("cma").empty(), "no CMA dma-heap");
	}
	Participant panel_;
};

TEST_F(Deferred, StorageComesAtFirstImportFromWhereThePlanSays)
{
	auto buffer = context()->describe({1920, 1080, {DRM_FORMAT_XRGB8888}, UsageScanout});
	ASSERT_TRUE(buffer) << buffer.error().toString();
	auto b = *buffer;
	EXPECT_FALSE(b->hasStorage());
	EXPECT_EQ(b->planeCount(), 0u) << "a described buffer has no planes yet";

	ASSERT_TRUE(b->attach(primary_));
	ASSERT_TRUE(b->attach(panel_));
	EXPECT_EQ(b->plan()->allocator, allocatorFor("cma")) << "the no-IOMMU panel moved the plan to CMA";

	// The cursor cannot take a 1080p image: refused, and nothing changes.
	auto refused = b->attach(cursor_);
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().code, E2BIG);
	EXPECT_NE(refused.error().message.find("attaching " + cursor_.name), std::string::npos) << refused.error().message;
	EXPECT_EQ(b->participants().size(), 2u);
	EXPECT_FALSE(b->hasStorage());
	EXPECT_EQ(b->plan()->allocator, allocatorFor("cma"));

	// First device import: storage now, from the CMA heap, and it scans out.
	auto fb = vkms_->addFramebuffer(*b);
	ASSERT_TRUE(fb) << fb.error().toString();
	EXPECT_TRUE(b->hasStorage());
	EXPECT_EQ(b->origin(), allocatorFor("cma"));
	EXPECT_EQ(b->planeCount(), 1u);
	{
		auto cpu = b->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(cpu);
		ASSERT_TRUE(writeTestPattern(*cpu, b->layout()));
	}
	EXPECT_TRUE(displaysTestPattern(*b));
}

TEST_F(Deferred, FirstMapAllocatesToo)
{
	auto b = context()->describe({640, 480, {DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}});
	ASSERT_TRUE(b);
	ASSERT_TRUE((*b)->attach(primary_));
	EXPECT_EQ((*b)->plan()->format, DRM_FORMAT_XRGB8888) << "vkms scans out no NV12";
	auto cpu = (*b)->beginCpuAccess(CpuAccessMode::Write);
	ASSERT_TRUE(cpu) << cpu.error().toString();
	EXPECT_TRUE((*b)->hasStorage());
	EXPECT_EQ((*b)->format(), DRM_FORMAT_XRGB8888);
}

TEST_F(Deferred, LateAttachIsCheckedAgainstTheStorageThatExists)
{
	auto buffer = context()->describe({1920, 1080, {DRM_FORMAT_XRGB8888}});
	ASSERT_TRUE(buffer);
	auto b = *buffer;
	ASSERT_TRUE(b->attach(primary_));
	ASSERT_TRUE(b->allocateStorage());
	EXPECT_EQ(b->origin(), allocatorFor("system")) << "scattered memory when no one needs contiguous";

	auto contiguous = b->attach(panel_);
	ASSERT_FALSE(contiguous);
	EXPECT_NE(contiguous.error().message.find("panel without IOMMU (declared) cannot use this buffer: it needs physically contiguous memory and the buffer's (dma-heap:system) is scattered"),
		  std::string::npos) << contiguous.error().message;

	Participant gpu;
	gpu.name = "gpu wanting 4096-byte strides (declared)";
	gpu.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	gpu.constraints.strideAlignment = 4096;
	auto aligned = b->attach(gpu);
	ASSERT_FALSE(aligned);
	EXPECT_NE(aligned.error().message.find("plane 0 has stride 7680 and offset 0; it needs multiples of 4096"),
		  std::string::npos) << aligned.error().message;

	Participant reader;
	reader.name = "encoder (declared)";
	reader.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	EXPECT_TRUE(b->attach(reader));
	EXPECT_EQ(b->participants().size(), 2u);
}
