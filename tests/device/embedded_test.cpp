// SPDX-License-Identifier: MIT
// hbm embedded in a compositor on the real kernel: the compositor opens the DRM device
// itself (as libseat would hand it over), hbm adopts that fd and opens nothing else, never
// changes who is DRM master, and a renderer that samples only its own device's memory
// (Mesa's kms_swrast, LAB.md) gets a buffer made by that device.
#include <cerrno>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include <hbm/hbm.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

/// The vkms card, opened the way a compositor does; -1 when there is none.
UniqueFd openVkmsCard()
{
	for (int i = 0; i < 8; ++i) {
		UniqueFd fd(::open(("/dev/dri/card" + std::to_string(i)).c_str(), O_RDWR | O_CLOEXEC));
		if (!fd)
			continue;
		drmVersionPtr v = drmGetVersion(fd.get());
		const bool vkms = v && std::string(v->name) == "vkms";
		drmFreeVersion(v);
		if (vkms)
			return fd;
	}
	return UniqueFd();
}

} // namespace

TEST(Embedded, AdoptsTheCompositorsDrmFdAndServesADeviceLocalRenderer)
{
	UniqueFd card = openVkmsCard();
	HBM_REQUIRE_DEVICE(card.isValid(), "no vkms card");
	const bool masterBefore = drmIsMaster(card.get());
	struct stat st;
	ASSERT_EQ(::fstat(card.get(), &st), 0);

	ContextOptions options;
	options.probe = false;
	options.readConfiguration = false;
	options.drmFds = {card.get()};
	auto ctx = Context::create(options);
	ASSERT_TRUE(ctx) << ctx.error().toString();
	std::vector<std::string> names;
	for (const AllocatorInfo &a : (*ctx)->allocators()) {
		names.push_back(a.name);
		if (a.name != "memfd") {
			EXPECT_EQ(a.drmDeviceId, st.st_rdev) << a.name << " is not on the adopted device";
		}
	}
	EXPECT_EQ(names.size(), 3u) << "dumb and GBM on the adopted device, and memfd";
	for (const std::string &n : names)
		EXPECT_TRUE(n == "memfd" || n.find("vkms") != std::string::npos) << n << " was opened without being asked";

	auto kms = KmsDevice::fromFd(card.get());
	ASSERT_TRUE(kms) << kms.error().toString();
	auto planes = (*kms)->planeParticipants();
	ASSERT_TRUE(planes);
	const Participant *primary = findPlane(*planes, PlaneType::Primary);
	ASSERT_NE(primary, nullptr);
	Participant renderer = declaredParticipant("kms_swrast renderer", FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR}));
	renderer.constraints.placement.localTo = st.st_rdev;

	auto described = (*ctx)->describe({1024, 768, {DRM_FORMAT_XRGB8888}, UsageScanout | UsageRender});
	ASSERT_TRUE(described);
	ASSERT_TRUE((*described)->attach(*primary));
	ASSERT_TRUE((*described)->attach(renderer)) << "the adopted device's own allocator serves it";
	const std::string chosen = (*described)->plan().allocator();
	EXPECT_NE(chosen.find("vkms"), std::string::npos) << chosen;
	auto buffer = (*described)->allocate();
	ASSERT_TRUE(buffer) << buffer.error().toString();
	auto fb = (*kms)->addFramebuffer(**buffer);
	ASSERT_TRUE(fb) << fb.error().toString();
	EXPECT_EQ(drmIsMaster(card.get()), masterBefore) << "hbm changed who is DRM master";

	// A heap buffer is refused for that renderer, as data.
	auto heapCtx = context();
	auto heapBuffer = heapCtx->allocate({64, 64, DRM_FORMAT_XRGB8888}, {.allocator = allocatorFor("system")});
	ASSERT_TRUE(heapBuffer) << heapBuffer.error().toString();
	auto refused = (*heapBuffer)->attach(renderer);
	ASSERT_FALSE(refused);
	ASSERT_TRUE(refused.error().refusal);
	EXPECT_EQ(refused.error().refusal->reason(), RejectReason::NotDeviceLocal);
}
