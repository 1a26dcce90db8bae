// SPDX-License-Identifier: MIT
// A region carved from the CMA heap at start: buffers are ranges of it, released ranges
// come back, a full region says how full, and a buffer at an offset inside it scans out.
// Regions are carved as bytes: past 256 MiB from the system heap, never more than the heap
// or the RAM could give.
#include <cerrno>
#include <algorithm>

#include <gtest/gtest.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

/// The CMA heap's name ("reserved" in the lab), or empty.
std::string cmaHeap()
{
	std::string cma = allocatorFor("cma");
	return cma.empty() ? cma : cma.substr(cma.find(':') + 1);
}

/// A context configured by @toml, as if read from lab.toml.
Result<std::shared_ptr<Context>> configured(const std::string &toml)
{
	auto config = parseConfig(toml, "lab.toml");
	if (!config)
		return config.error();
	return Context::create(*config);
}

} // namespace

TEST(Region, CarvedFromCmaSubAllocatedAndScannedOut)
{
	const std::string heap = cmaHeap();
	HBM_REQUIRE_DEVICE(!heap.empty(), "no CMA dma-heap");
	auto vkms = KmsDevice::openByDriver("vkms");
	HBM_REQUIRE_DEVICE(vkms.ok(), vkms ? "" : vkms.error().message);
	auto ctx = configured("[region.video]\nheap = \"" + heap + "\"\nsize = \"16M\"\n"
			      "[kind.video]\nallocators = [\"region:video\"]\n");
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
	EXPECT_EQ(e.error().code, ENOMEM) << e.error().toString();
	ASSERT_TRUE(e.error().refusal) << e.error().message;
	const Rejection &full = e.error().refusal->rejections.at(0);
	EXPECT_EQ(full.reason, RejectReason::OutOfMemory) << e.error().message;
	EXPECT_EQ(full.allocator, "region:video");
	EXPECT_EQ(full.value, (*a)->layout().size);
	EXPECT_EQ(full.limit, 16ull * 1024 * 1024 - 4 * (*a)->layout().size) << "the largest free range: the rest";
	c->reset();
	EXPECT_TRUE((*ctx)->allocate({1280, 720, DRM_FORMAT_XRGB8888}, fromRegion)) << "a released range is reused";

	// The kind sends negotiation to the region; the buffer at an offset scans out.
	auto plan = (*ctx)->negotiate({1280, 720, {DRM_FORMAT_XRGB8888}, UsageScanout, "video"}, {});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), "region:video");
	// vkms (6.12) adds framebuffer offsets twice: a buffer inside the region is refused with
	// the reason instead of showing the wrong memory, and negotiation for a vkms plane
	// passes over the region.
	auto inside = (*vkms)->addFramebuffer(**b);
	ASSERT_FALSE(inside);
	EXPECT_EQ(inside.error().code, EINVAL);
	EXPECT_NE(inside.error().message.find("adds framebuffer offsets twice"), std::string::npos) << inside.error().message;
	auto planes = (*vkms)->planeParticipants();
	ASSERT_TRUE(planes);
	auto forVkms = (*ctx)->negotiate({1280, 720, {DRM_FORMAT_XRGB8888}, UsageScanout, "video"}, {(*planes)[0]});
	ASSERT_FALSE(forVkms);
	ASSERT_TRUE(forVkms.error().refusal) << forVkms.error().message;
	const Rejection &atStart = forVkms.error().refusal->rejections.at(0);
	EXPECT_EQ(atStart.reason, RejectReason::NotAtStart) << forVkms.error().message;
	EXPECT_EQ(atStart.allocator, "region:video");
	EXPECT_EQ(atStart.value, 0u) << "any buffer of the region, not one at a known offset";
	EXPECT_EQ(atStart.setBy, std::vector<ParticipantIdentity>{(*planes)[0].identity});

	// The buffer at the region's start scans out.
	{
		auto cpu = (*a)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(cpu);
		ASSERT_TRUE(writeTestPattern(*cpu, (*a)->layout()));
	}
	EXPECT_TRUE(displaysTestPattern(**a));
}

TEST(Region, CarvedAsBytesFromCmaAndPast256MiBFromSystem)
{
	const std::string heap = cmaHeap();
	HBM_REQUIRE_DEVICE(!heap.empty(), "no CMA dma-heap");
	HBM_REQUIRE_DEVICE(!allocatorFor("system").empty(), "no system dma-heap");
	auto ctx = configured("[region.small]\nheap = \"" + heap + "\"\nsize = \"40M\"\n"
			      "[region.big]\nheap = \"system\"\nsize = \"300M\"\n");
	ASSERT_TRUE(ctx) << ctx.error().toString();
	for (const AllocatorInfo &a : (*ctx)->allocators()) {
		if (a.name == "region:small") {
			EXPECT_EQ(a.maxSize, 40ull << 20);
		} else if (a.name == "region:big") {
			EXPECT_EQ(a.maxSize, 300ull << 20);
		}
	}

	AllocationOptions small;
	small.allocator = "region:small";
	auto fromCma = (*ctx)->allocate({4096, 2048, DRM_FORMAT_XRGB8888}, small); // 32 MiB
	ASSERT_TRUE(fromCma) << fromCma.error().toString();
	EXPECT_EQ(::lseek((*fromCma)->planeFd(0).get(), 0, SEEK_END), off_t(40) << 20);

	// 32 MiB, then four 64 MiB buffers: the highest ends past 256 MiB (best-fit fills the
	// region from both ends), past what a 4096-wide R8 image could describe.
	AllocationOptions big;
	big.allocator = "region:big";
	auto first = (*ctx)->allocate({4096, 2048, DRM_FORMAT_XRGB8888}, big);
	ASSERT_TRUE(first) << first.error().toString();
	std::vector<std::shared_ptr<Buffer>> buffers;
	for (int i = 0; i < 4; ++i) {
		auto b = (*ctx)->allocate({4096, 4096, DRM_FORMAT_XRGB8888}, big);
		ASSERT_TRUE(b) << b.error().toString();
		buffers.push_back(*b);
	}
	EXPECT_FALSE((*ctx)->allocate({4096, 4096, DRM_FORMAT_XRGB8888}, big)) << "300 MiB hold no sixth";
	Buffer &last = **std::max_element(buffers.begin(), buffers.end(), [](const auto &a, const auto &b) {
		return a->layout().planes[0].offset < b->layout().planes[0].offset;
	});
	const PlaneLayout &plane = last.layout().planes[0];
	EXPECT_GT(plane.offset + plane.size, 256ull << 20);
	EXPECT_LE(plane.offset + plane.size, uint64_t(::lseek(last.planeFd(0).get(), 0, SEEK_END)));
	{
		auto cpu = last.beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(cpu) << cpu.error().toString();
		cpu->plane(0)[plane.size - 1] = 0x5a;
	}
	auto cpu = last.beginCpuAccess(CpuAccessMode::Read);
	ASSERT_TRUE(cpu) << cpu.error().toString();
	EXPECT_EQ(cpu->plane(0)[plane.size - 1], 0x5a) << "the region's last megabytes are real memory";
}

TEST(Region, MoreThanTheHeapOrRamCouldGiveIsRefusedByName)
{
	const std::string heap = cmaHeap();
	HBM_REQUIRE_DEVICE(!heap.empty(), "no CMA dma-heap");
	const struct {
		std::string toml;
		std::string allocator; ///< the one that could not give it
		uint64_t asked;
	} cases[] = {
		{"[region.r]\nheap = \"" + heap + "\"\nsize = \"128M\"\n", "dma-heap:" + heap, 128ull << 20},
		{"[region.r]\nheap = \"system\"\nsize = \"64G\"\n", "dma-heap:system", 64ull << 30},
	};
	for (const auto &c : cases) {
		size_t fdsBefore = openFdCount();
		auto ctx = configured(c.toml);
		ASSERT_FALSE(ctx) << c.toml;
		EXPECT_EQ(ctx.error().code, ENOMEM) << ctx.error().toString();
		// The refusal as data, said of the configuration's region: out of memory, which allocator, what was asked, what it can give.
		ASSERT_TRUE(ctx.error().refusal) << ctx.error().message;
		EXPECT_EQ(ctx.error().refusal->subject, "lab.toml: reserving region 'r': region r: out of memory");
		const Rejection &r = ctx.error().refusal->rejections.at(0);
		EXPECT_EQ(r.reason, RejectReason::OutOfMemory) << ctx.error().message;
		EXPECT_EQ(r.allocator, c.allocator) << ctx.error().message;
		EXPECT_EQ(r.value, c.asked) << ctx.error().message;
		EXPECT_LT(r.limit, c.asked) << ctx.error().message;
		EXPECT_EQ(openFdCount(), fdsBefore);
	}
}
