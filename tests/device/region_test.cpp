// SPDX-License-Identifier: MIT
// A region carved from the CMA heap at start: buffers are ranges of it, released ranges
// come back, a full region says how full, and a buffer at an offset inside it scans out.
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

TEST(Region, CarvedFromCmaSubAllocatedAndScannedOut)
{
	std::string cma = allocatorFor("cma");
	HBM_REQUIRE_DEVICE(!cma.empty(), "no CMA dma-heap");
	auto vkms = KmsDevice::openByDriver("vkms");
	HBM_REQUIRE_DEVICE(vkms.ok(), vkms ? "" : vkms.error().message);
	const std::string heap = cma.substr(cma.find(':') + 1);
	auto config = parseConfig("[region.video]\nheap = \"" + heap + "\"\nsize = \"16M\"\n"
				  "[kind.video]\nallocators = [\"region:video\"]\n", "lab.toml");
	ASSERT_TRUE(config) << config.error().message;
	auto ctx = Context::create(*config);
	ASSERT_TRUE(ctx) << ctx.error().toString();

	AllocationOptions fromRegion;
	fromRegion.allocator = "region:video";
	auto a = (*ctx)->allocate({1280, 720, DRM_FORMAT_XRGB8888}, fromRegion); // 3.5 MiB
	auto b = (*ctx)->allocate({1280, 720, DRM_FORMAT_XRGB8888}, fromRegion);
	ASSERT_TRUE(a && b) << (a ? b.error().toString() : a.error().toString());
	EXPECT_EQ((*a)->planeFd(0), (*a)->planeFd(0));
	EXPECT_NE((*a)->layout().planes[0].offset, (*b)->layout().planes[0].offset);
	EXPECT_GT((*b)->layout().planes[0].offset, 0u) << "the second buffer lies inside the region";

	// Four 3.5 MiB buffers fill 16 MiB; the fifth is refused with the region's state.
	auto c = (*ctx)->allocate({1280, 720, DRM_FORMAT_XRGB8888}, fromRegion);
	auto d = (*ctx)->allocate({1280, 720, DRM_FORMAT_XRGB8888}, fromRegion);
	ASSERT_TRUE(c && d);
	auto e = (*ctx)->allocate({1280, 720, DRM_FORMAT_XRGB8888}, fromRegion);
	ASSERT_FALSE(e);
	EXPECT_NE(e.error().message.find("do not fit"), std::string::npos) << e.error().message;
	EXPECT_NE(e.error().message.find("(best-fit)"), std::string::npos) << e.error().message;
	c->reset();
	EXPECT_TRUE((*ctx)->allocate({1280, 720, DRM_FORMAT_XRGB8888}, fromRegion)) << "a released range is reused";

	// The kind sends negotiation to the region; the buffer at an offset scans out.
	auto plan = (*ctx)->negotiate({1280, 720, {DRM_FORMAT_XRGB8888}, UsageScanout, "video"}, {});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator, "region:video");
	// vkms (6.12) adds framebuffer offsets twice: a buffer inside the region is refused with
	// the reason instead of showing the wrong memory, and negotiation for a vkms plane
	// passes over the region.
	auto inside = (*vkms)->addFramebuffer(**b);
	ASSERT_FALSE(inside);
	EXPECT_NE(inside.error().message.find("adds framebuffer offsets twice"), std::string::npos) << inside.error().message;
	auto planes = (*vkms)->planeParticipants();
	ASSERT_TRUE(planes);
	auto forVkms = (*ctx)->negotiate({1280, 720, {DRM_FORMAT_XRGB8888}, UsageScanout, "video"}, {(*planes)[0]});
	ASSERT_FALSE(forVkms);
	EXPECT_NE(forVkms.error().message.find("region:video for XRGB8888 (XR24): it places buffers at offsets inside one dma-buf, but vkms"),
		  std::string::npos) << forVkms.error().message;

	// The buffer at the region's start scans out.
	{
		auto cpu = (*a)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(cpu);
		ASSERT_TRUE(writeTestPattern(*cpu, (*a)->layout()));
	}
	EXPECT_TRUE(displaysTestPattern(**a));
}
