// SPDX-License-Identifier: MIT
// Negotiation on the real kernel: vkms planes introduce themselves, a display declared
// without an IOMMU forces the CMA heap (and its scanout is checked through writeback), a
// 32-bit DMA limit is honoured or refused with a reason, and an impossible pair is refused.
#include <cerrno>
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "device_test.hpp"
#include "negotiation_private.hpp"
#include "base/system_memory.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

Participant noIommuDisplay()
{
	Participant p;
	p.identity = DeclaredIdentity{"panel without IOMMU"};
	p.source = "declared by the test";
	p.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	p.constraints.placement.contiguous = true;
	return p;
}

/// The rejection of @allocator in @error's refusal, or null.
const Rejection *rejectionOf(const Error &error, const std::string &allocator)
{
	if (error.refusal)
		for (const Rejection &r : error.refusal->rejections)
			if (r.allocator == allocator)
				return &r;
	return nullptr;
}

std::string traceOf(const Plan &plan)
{
	std::string out;
	for (const std::string &line : plan.trace())
		out += "  " + line + "\n";
	return out;
}

} // namespace

using Negotiate = VkmsPlanes;

TEST_F(Negotiate, VkmsPlanesIntroduceThemselves)
{
	auto planes = vkms_->planeParticipants();
	ASSERT_TRUE(planes);
	EXPECT_GE(planes->size(), 3u) << "primary, overlay and cursor (enable_overlay/cursor=1)";
	EXPECT_TRUE(primary_.constraints.formats.contains(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR))
		<< primary_.constraints.formats.toString();
	EXPECT_FALSE(vkms_->behindIommu());
	EXPECT_FALSE(primary_.constraints.placement.contiguous) << "vkms needs no contiguous memory";
	EXPECT_NE(primary_.source.find("IN_FORMATS of /dev/dri/card"), std::string::npos) << primary_.source;
	ASSERT_FALSE(cursor_.name().empty());
	EXPECT_GT(cursor_.constraints.maxWidth, 0u);
	EXPECT_LT(cursor_.constraints.maxWidth, primary_.constraints.maxWidth) << "cursor planes take small images";
}

TEST_F(Negotiate, NoIommuDisplayForcesCmaAndTheBufferScansOut)
{
	auto plan = context()->negotiate({1920, 1080, {DRM_FORMAT_XRGB8888}, UsageScanout}, {primary_, noIommuDisplay()});
	ASSERT_TRUE(plan) << plan.error().message;
	AllocatorInfo chosen = allocatorInfo(plan->allocator());
	EXPECT_TRUE(chosen.contiguous) << traceOf(*plan);
	std::cout << "plan:\n" << traceOf(*plan);

	// The memory really is CMA: the area's page counter moves by the buffer's pages.
	const std::string area = "/sys/kernel/mm/cma/" + plan->allocator().substr(plan->allocator().find(':') + 1) + "/";
	long before = sysfsCounter(area + "alloc_pages_success");
	auto buffer = context()->allocate(*plan);
	ASSERT_TRUE(buffer) << buffer.error().toString();
	EXPECT_EQ(sysfsCounter(area + "alloc_pages_success") - before, long((*buffer)->layout().size / 4096));

	{
		auto cpu = (*buffer)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(cpu);
		ASSERT_TRUE(writeTestPattern(*cpu, (*buffer)->layout()));
	}
	EXPECT_TRUE(displaysTestPattern(**buffer));
}

TEST_F(Negotiate, WithoutACmaHeapTheRefusalExplainsItself)
{
	std::vector<AllocatorInfo> withoutCma;
	for (const AllocatorInfo &a : context()->allocators())
		if (!a.contiguous)
			withoutCma.push_back(a);
	auto plan = negotiate({1920, 1080, {DRM_FORMAT_XRGB8888}}, {primary_, noIommuDisplay()}, withoutCma,
			      systemRamTop());
	ASSERT_FALSE(plan);
	const std::string &msg = plan.error().message;
	std::cout << "refusal: " << msg << "\n";
	EXPECT_EQ(plan.error().code, ENOTSUP);
	ASSERT_TRUE(plan.error().refusal) << msg;
	EXPECT_EQ(plan.error().refusal->reason(), RejectReason::NotContiguous) << msg;
	// The scattered heaps, refused for their pages by the panel (with no contiguous
	// allocator left, the fix is "add a CMA heap": refusal_test).
	for (const char *scattered : {"dma-heap:system", "udmabuf"}) {
		const Rejection *r = rejectionOf(plan.error(), scattered);
		ASSERT_NE(r, nullptr) << scattered << ": " << msg;
		EXPECT_EQ(r->reason, RejectReason::NotContiguous) << msg;
		EXPECT_EQ(r->value, 1u) << "scattered, not unknown: " << msg;
		EXPECT_EQ(r->format, uint32_t(DRM_FORMAT_XRGB8888));
		EXPECT_EQ(r->setBy, std::vector<ParticipantIdentity>{noIommuDisplay().identity}) << msg;
	}
}

TEST_F(Negotiate, ThirtyTwoBitDmaLimitHonouredOrRefusedWithAReason)
{
	uint64_t ramTop = systemRamTop();
	HBM_REQUIRE_DEVICE(ramTop != 0, "/proc/iomem hides addresses (not root)");
	Participant camera;
	camera.identity = DeclaredIdentity{"camera with 32-bit DMA"};
	camera.source = "declared by the test";
	camera.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	camera.constraints.placement.addressLimit = 1ull << 32;

	ASSERT_LT(ramTop, 1ull << 32) << "the lab guest has 1 GiB of RAM";
	auto plan = context()->negotiate({1280, 720, {DRM_FORMAT_XRGB8888}}, {primary_, camera});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_NE(traceOf(*plan).find("below the limit 0x100000000 of camera with 32-bit DMA"), std::string::npos)
		<< traceOf(*plan);
	EXPECT_TRUE(context()->allocate(*plan));

	// A limit below the end of RAM cannot be promised by any heap here.
	camera.constraints.placement.addressLimit = ramTop / 4;
	auto refused = context()->negotiate({1280, 720, {DRM_FORMAT_XRGB8888}}, {primary_, camera});
	ASSERT_FALSE(refused);
	std::cout << "refusal: " << refused.error().message << "\n";
	ASSERT_TRUE(refused.error().refusal) << refused.error().message;
	EXPECT_EQ(refused.error().refusal->reason(), RejectReason::AddressLimit) << refused.error().message;
	// The system heap's pages may lie anywhere in RAM: up to its end, above the limit.
	const Rejection *system = rejectionOf(refused.error(), allocatorFor("system"));
	ASSERT_NE(system, nullptr) << refused.error().message;
	EXPECT_EQ(system->reason, RejectReason::AddressLimit) << refused.error().message;
	EXPECT_EQ(system->value, ramTop) << refused.error().message;
	EXPECT_EQ(system->limit, ramTop / 4) << refused.error().message;
	EXPECT_EQ(system->setBy, std::vector<ParticipantIdentity>{camera.identity}) << refused.error().message;
}

TEST_F(Negotiate, IncompatiblePairIsRefused)
{
	// A full-screen buffer cannot also be the cursor.
	ASSERT_FALSE(cursor_.name().empty());
	auto big = context()->negotiate({1920, 1080, {DRM_FORMAT_ARGB8888}}, {primary_, cursor_});
	ASSERT_FALSE(big);
	EXPECT_EQ(big.error().code, ENOTSUP);
	ASSERT_TRUE(big.error().refusal);
	EXPECT_EQ(big.error().refusal->reason(), RejectReason::WidthLimit);
	EXPECT_EQ(big.error().refusal->rejections.at(0).setBy, std::vector<ParticipantIdentity>{cursor_.identity});

	// A camera that writes only NV12 and a vkms primary plane that reads no YUV.
	Participant camera;
	camera.identity = DeclaredIdentity{"NV12 camera"};
	camera.constraints.formats = FormatSet({DRM_FORMAT_NV12}, {DRM_FORMAT_MOD_LINEAR});
	auto disjoint = context()->negotiate({1280, 720, {DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}}, {camera, primary_});
	ASSERT_FALSE(disjoint);
	std::cout << "refusal: " << disjoint.error().message << "\n";
	ASSERT_TRUE(disjoint.error().refusal) << disjoint.error().message;
	const Rejection &nv12 = disjoint.error().refusal->rejections.at(0);
	EXPECT_EQ(nv12.reason, RejectReason::FormatNotTaken) << disjoint.error().message;
	EXPECT_EQ(nv12.format, uint32_t(DRM_FORMAT_NV12));
	EXPECT_EQ(nv12.setBy, std::vector<ParticipantIdentity>{primary_.identity}) << disjoint.error().message;
}

// Mesa GBM lays the image out itself: on vkms a 640-pixel LINEAR row gets a 2560-byte
// stride, whatever alignment the plan asked for. The plan carries its participants, so
// every path from it to storage refuses what GBM really made, as data, and leaks nothing.
TEST(PlanChecks, RealGbmStrideThatTheParticipantsForbidIsRefusedOnEveryPath)
{
	const std::string gbm = allocatorFor("gbm");
	HBM_REQUIRE_DEVICE(!gbm.empty(), "no GBM allocator on vkms");
	Participant strict;
	strict.identity = DeclaredIdentity{"4 KiB-stride scanner"};
	strict.source = "declared by the test";
	strict.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	strict.constraints.strideAlignment = 4096;
	strict.constraints.placement.allowedAllocators = {gbm};
	const Request request{640, 480, {DRM_FORMAT_XRGB8888}};

	auto expectRefused = [&](const Error &e, const char *path) {
		EXPECT_EQ(e.code, EPROTO) << path << ": " << e.message;
		ASSERT_TRUE(e.refusal) << path << ": " << e.message;
		const Rejection &r = e.refusal->rejections.at(0);
		EXPECT_EQ(r.reason, RejectReason::StrideAlignment) << path << ": " << e.message;
		EXPECT_EQ(r.limit, 4096u) << path;
		EXPECT_NE(r.value % 4096, 0u) << path << ": GBM's own stride";
		std::cout << path << ": " << e.message << "\n";
	};
	const size_t fds = openFdCount();
	auto plan = context()->negotiate(request, {strict});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), gbm);
	ASSERT_NE(plan->layout(), nullptr);
	EXPECT_EQ(plan->layout()->planes[0].stride % 4096, 0u) << "the plan asked for 4096";
	{
		auto buffer = context()->allocate(*plan);
		ASSERT_FALSE(buffer) << "GBM's stride " << (*buffer)->layout().planes[0].stride << " was taken";
		expectRefused(buffer.error(), "Context::allocate(plan)");
	}
	{
		auto description = context()->describe(request);
		ASSERT_TRUE(description);
		ASSERT_TRUE((*description)->attach(strict));
		auto buffer = (*description)->allocate();
		ASSERT_FALSE(buffer);
		expectRefused(buffer.error(), "BufferDescription::allocate()");
	}
	{
		auto pool = BufferPool::create(context(), request, {strict}, 2);
		ASSERT_TRUE(pool) << pool.error().message;
		auto lease = (*pool)->acquire();
		ASSERT_FALSE(lease);
		expectRefused(lease.error(), "BufferPool::acquire()");
	}
	EXPECT_EQ(openFdCount(), fds) << "a refused GBM buffer leaked";
}
