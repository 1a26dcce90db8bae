// SPDX-License-Identifier: MIT
// The lab's iommu machine (tests/lab/run.sh --machine iommu) is what it says: cirrus-vga and
// virtio-gpu sit behind an emulated Intel IOMMU, the kernel's virtual devices do not, and
// qemu's screendump reads virtio-gpu's display. Registered only in that machine
// (lab_iommu_tests in tests/meson.build); on the host it skips, in the default machine it
// fails (no virtio-gpu there).
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/kms.hpp>
#include <hbm-test/display.hpp>
#include <hbm-test/pattern.hpp>
#include <hbm-test/screendump.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

/// /sys/class/drm/cardN/device/iommu_group of @card (/dev/dri/cardN).
std::string iommuGroupOf(const std::string &card)
{
	return "/sys/class/drm/" + card.substr(card.rfind('/') + 1) + "/device/iommu_group";
}

bool exists(const std::string &path)
{
	struct stat st;
	return ::stat(path.c_str(), &st) == 0;
}

} // namespace

TEST(IommuMachine, CirrusAndVirtioGpuAreBehindTheIommuVkmsIsNot)
{
	for (const char *driver : {"cirrus", "virtio_gpu"}) {
		const std::string card = cardForDriver(driver);
		HBM_REQUIRE_DEVICE(!card.empty(), std::string("no ") + driver + " card (the iommu machine has one)");
		EXPECT_TRUE(exists(iommuGroupOf(card))) << driver << " (" << card << ") has no " << iommuGroupOf(card);
		auto device = KmsDevice::open(card);
		ASSERT_TRUE(device) << device.error().toString();
		EXPECT_TRUE((*device)->behindIommu()) << "hbm does not see " << driver << "'s IOMMU";
	}
	const std::string vkms = cardForDriver("vkms");
	HBM_REQUIRE_DEVICE(!vkms.empty(), "no vkms card");
	EXPECT_FALSE(exists(iommuGroupOf(vkms))) << "vkms, a platform device, has " << iommuGroupOf(vkms);
	auto device = KmsDevice::open(vkms);
	ASSERT_TRUE(device) << device.error().toString();
	EXPECT_FALSE((*device)->behindIommu());
}

TEST(IommuMachine, ScreendumpOfVirtioGpuShowsItsDumbBufferExactly)
{
	const std::string dumb = allocatorFor("virtio_gpu-dumb");
	HBM_REQUIRE_DEVICE(!dumb.empty(), "no dumb-buffer allocator on virtio_gpu");
	auto display = Display::openByDriver("virtio_gpu");
	HBM_REQUIRE_DEVICE(display.ok(), display ? "" : display.error().message);
	KmsDevice &virtio = (*display)->device();
	auto primary = planeParticipant(virtio, PlaneType::Primary);
	ASSERT_TRUE(primary) << virtio.path() << " has no primary plane";
	ASSERT_TRUE(primary->constraints.formats.containsFormat(DRM_FORMAT_XRGB8888))
		<< primary->constraints.formats.toString();
	Participant plane = *primary;
	plane.constraints.placement.allowedAllocators = {dumb};

	auto plan = context()->negotiate({1024, 768, {DRM_FORMAT_XRGB8888}, UsageScanout | UsageCpuWrite}, {plane});
	ASSERT_TRUE(plan) << plan.error().toString();
	auto shown = context()->allocate(*plan);
	ASSERT_TRUE(shown) << shown.error().toString();
	{
		auto write = (*shown)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(write) << write.error().toString();
		ASSERT_TRUE(writeTestPattern(*write, (*shown)->layout()));
	}
	auto fb = virtio.addFramebuffer(**shown);
	ASSERT_TRUE(fb) << fb.error().toString();
	auto lit = (*display)->showOnPrimary(*fb);
	ASSERT_TRUE(lit) << lit.error().toString();

	auto screen = screendump("virtio");
	ASSERT_TRUE(screen) << "cannot read the display back: " << screen.error().toString();
	auto read = (*shown)->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_TRUE(read) << read.error().toString();
	auto same = compareWithScreen(*read, (*shown)->layout(), *screen);
	EXPECT_TRUE(same) << same.error().message;
	auto intact = verifyTestPattern(*read, (*shown)->layout());
	EXPECT_TRUE(intact) << intact.error().message;
}

TEST(IommuMachine, TheServiceKnowsBothDisplaysAndNamesAnUnknownOne)
{
	HBM_REQUIRE_DEVICE(!screendumpServiceDir().empty(), "no screendump service (HBM_LAB_SCREENDUMP_DIR)");
	auto cirrus = screendump("cirrus");
	EXPECT_TRUE(cirrus) << cirrus.error().toString();
	auto unknown = screendump("no-such-display");
	ASSERT_FALSE(unknown);
	EXPECT_EQ(unknown.error().code, EIO);
	EXPECT_NE(unknown.error().message.find("no-such-display"), std::string::npos) << unknown.error().message;
	std::cout << "qemu says: " << unknown.error().message << "\n";
}
