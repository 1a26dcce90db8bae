// SPDX-License-Identifier: MIT
// Configuration on the real kernel: "this display has no IOMMU, use CMA" said in one rule,
// a heap declared to lie low serving a 32-bit camera declared in the same file, and a kind.
#include <cerrno>
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

class Configured : public ::testing::Test
{
protected:
	void SetUp() override
	{
		cma_ = allocatorFor("cma");
		HBM_REQUIRE_DEVICE(!cma_.empty(), "no CMA dma-heap");
		auto vkms = KmsDevice::openByDriver("vkms");
		HBM_REQUIRE_DEVICE(vkms.ok(), vkms ? "" : vkms.error().message);
		vkms_ = *vkms;
		auto primary = planeParticipant(*vkms_, PlaneType::Primary);
		ASSERT_TRUE(primary) << "vkms has no primary plane";
		primary_ = *primary;
	}

	std::shared_ptr<Context> contextWith(const std::string &toml)
	{
		auto config = parseConfig(toml, "lab.toml");
		EXPECT_TRUE(config) << config.error().message;
		auto ctx = Context::create(*config);
		EXPECT_TRUE(ctx) << ctx.error().message;
		return ctx ? *ctx : nullptr;
	}

	std::string cma_;
	std::shared_ptr<KmsDevice> vkms_;
	Participant primary_;
};

TEST_F(Configured, OneRuleSaysThisDisplayHasNoIommuUseCma)
{
	auto ctx = contextWith("[device.panel]\nmatch.drm_driver = \"vkms\"\ncontiguous = true\n");
	ASSERT_TRUE(ctx);
	auto plan = ctx->negotiate({1920, 1080, {DRM_FORMAT_XRGB8888}, UsageScanout}, {primary_});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), cma_);
	EXPECT_NE(plan->trace()[0].find("rule 'panel' of lab.toml: contiguous"), std::string::npos) << plan->trace()[0];

	auto buffer = ctx->allocate(*plan);
	ASSERT_TRUE(buffer) << buffer.error().toString();
	auto display = Display::openByDriver("vkms");
	ASSERT_TRUE(display) << display.error().toString();
	auto fb = (*display)->device().addFramebuffer(**buffer);
	ASSERT_TRUE(fb) << fb.error().toString();
	EXPECT_TRUE((*display)->showOnPrimary(*fb));

	// Without the rule the same plane gets scattered memory.
	auto plain = contextWith("");
	auto scattered = plain->negotiate({1920, 1080, {DRM_FORMAT_XRGB8888}, UsageScanout}, {primary_});
	ASSERT_TRUE(scattered);
	EXPECT_EQ(scattered->allocator(), "dma-heap:system");
}

TEST_F(Configured, HeapDeclaredLowServesADeclared32BitCamera)
{
	const std::string heap = cma_.substr(cma_.find(':') + 1);
	auto ctx = contextWith("[heap." + heap + "]\nmemory_end = \"256M\"\n"
			       "[participant.camera]\nformats = [\"XRGB8888\"]\naddress_limit = \"512M\"\n");
	ASSERT_TRUE(ctx);
	auto camera = ctx->declaredParticipant("camera");
	ASSERT_TRUE(camera) << camera.error().message;
	auto plan = ctx->negotiate({640, 480, {DRM_FORMAT_XRGB8888}}, {*camera, primary_});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), cma_) << "only the heap declared to end at 256M is known to lie below 512M";
	bool said = false;
	for (const std::string &line : plan->trace())
		said |= line.find(cma_ + "'s memory ends at 0x10000000 (configured), below the limit 0x20000000 of camera (declared)") !=
			std::string::npos;
	EXPECT_TRUE(said);
	EXPECT_TRUE(ctx->allocate(*plan));
}

TEST_F(Configured, KindsOrderTheAllocators)
{
	auto ctx = contextWith("[kind.video]\nallocators = [\"udmabuf\", \"dma-heap:system\"]\n");
	ASSERT_TRUE(ctx);
	auto plan = ctx->negotiate({1280, 720, {DRM_FORMAT_XRGB8888}, 0, "video"}, {primary_});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), "udmabuf");
	EXPECT_NE(plan->trace()[0].find("kind 'video' of lab.toml"), std::string::npos);

	auto lacking = contextWith("[kind.video]\nallocators = [\"dma-heap:nowhere\"]\n");
	auto refused = lacking->negotiate({1280, 720, {DRM_FORMAT_XRGB8888}, 0, "video"}, {primary_});
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().code, ENOENT);
	EXPECT_NE(refused.error().message.find("names only allocators this machine lacks (dma-heap:nowhere; here:"),
		  std::string::npos) << refused.error().message;
}
