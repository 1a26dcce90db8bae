// SPDX-License-Identifier: MIT
// A display that imports only its own memory, learnt by probing: virtio-gpu on Linux 6.12
// refuses every foreign dma-buf (virtgpu_gem_prime_import_sg_table() returns -ENODEV) while
// its own buffers import elsewhere. Its plane participant is local to it, the plan
// allocates on it, the buffer is shown there and, imported by vkms (which takes foreign
// memory), read back through vkms's writeback (and qemu's screendump of virtio-gpu's own); a heap buffer given to it anyway is refused
// by name, leaving nothing behind. virtio-gpu is in the lab's iommu machine only.
#include <gtest/gtest.h>

#include <drm_fourcc.h>
#include <sys/stat.h>
#include <xf86drmMode.h>

#include <hbm/hbm.hpp>
#include <hbm-test/screendump.hpp>

#include "device_test.hpp"
#include "kms/import_probe.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

/// Framebuffers of @device's file (DRM_IOCTL_MODE_GETRESOURCES lists the file's own).
int framebufferCount(const KmsDevice &device)
{
	drmModeResPtr res = drmModeGetResources(device.fd());
	const int n = res ? res->count_fbs : -1;
	drmModeFreeResources(res);
	return n;
}

class VirtioGpu : public ::testing::Test
{
protected:
	void SetUp() override
	{
		auto device = KmsDevice::openByDriver("virtio_gpu");
		HBM_REQUIRE_DEVICE(device.ok(), device ? "" : device.error().message);
		device_ = *device;
		struct stat st;
		ASSERT_EQ(::fstat(device_->fd(), &st), 0);
		rdev_ = st.st_rdev;
		auto primary = planeParticipant(*device_, PlaneType::Primary);
		ASSERT_TRUE(primary) << "virtio_gpu has no primary plane";
		primary_ = *primary;
	}
	std::shared_ptr<KmsDevice> device_;
	dev_t rdev_ = 0;
	Participant primary_;
};

} // namespace

TEST_F(VirtioGpu, PlaneIsLocalToItsDeviceAsProbed)
{
	EXPECT_EQ(primary_.constraints.placement.localTo, rdev_) << primary_.source;
	EXPECT_NE(primary_.source.find("imports only its own memory (probed: PRIME import of a one-page dma-heap:system "
				       "buffer refused with ENODEV"),
		  std::string::npos)
		<< primary_.source;
	RecordProperty("participant_source", primary_.source);
	const ImportProbe kept = knownForeignImport(rdev_);
	EXPECT_EQ(kept.answer, ForeignImport::OwnMemoryOnly);
	std::cout << "virtio_gpu: " << kept.how << ", in " << kept.microseconds << " us\n";
	RecordProperty("probe_us", std::to_string(kept.microseconds));
}

TEST_F(VirtioGpu, PlanAllocatesOnItShowsItAndVkmsImportsIt)
{
	auto plan = context()->negotiate({1024, 768, {DRM_FORMAT_XRGB8888}, UsageScanout}, {primary_});
	ASSERT_TRUE(plan) << plan.error().message;
	const AllocatorInfo chosen = allocatorInfo(plan->allocator());
	EXPECT_EQ(chosen.drmDeviceId, rdev_) << plan->allocator() << " is not virtio_gpu's";
	EXPECT_EQ(chosen.drmDriver, "virtio_gpu");
	RecordProperty("plan_allocator", plan->allocator());
	std::cout << "virtio_gpu plan: " << plan->allocator() << "\n";
	for (const std::string &line : plan->trace())
		std::cout << "  " << line << "\n";

	auto buffer = context()->allocate(*plan);
	ASSERT_TRUE(buffer) << buffer.error().toString();
	{
		auto write = (*buffer)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(write) << write.error().toString();
		ASSERT_TRUE(writeTestPattern(*write, (*buffer)->layout()));
	}
	auto display = Display::openByDriver("virtio_gpu");
	ASSERT_TRUE(display) << display.error().toString();
	auto fb = (*display)->device().addFramebuffer(**buffer);
	ASSERT_TRUE(fb) << fb.error().toString();
	auto shown = (*display)->showOnPrimary(*fb);
	ASSERT_TRUE(shown) << shown.error().toString();
	auto screen = screendump("virtio");
	ASSERT_TRUE(screen) << "cannot read the display back: " << screen.error().toString();
	{
		auto read = (*buffer)->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(read) << read.error().toString();
		auto same = compareWithScreen(*read, (*buffer)->layout(), *screen);
		EXPECT_TRUE(same) << same.error().message;
	}

	// vkms takes memory made elsewhere: virtio_gpu's buffer shows there too, exactly.
	auto vkms = KmsDevice::openByDriver("vkms");
	HBM_REQUIRE_DEVICE(vkms.ok(), vkms ? "" : vkms.error().message);
	auto vkmsPrimary = planeParticipant(**vkms, PlaneType::Primary);
	ASSERT_TRUE(vkmsPrimary);
	EXPECT_EQ(vkmsPrimary->constraints.placement.localTo, dev_t(0)) << vkmsPrimary->source;
	EXPECT_TRUE(displaysTestPattern(**buffer));
}

TEST_F(VirtioGpu, AForeignBufferIsRefusedByNameAndLeavesNothing)
{
	const std::string system = allocatorFor("system");
	HBM_REQUIRE_DEVICE(!system.empty(), "no system dma-heap");
	auto heap = allocateFrom(system, {1024, 768, DRM_FORMAT_XRGB8888});
	ASSERT_TRUE(heap);
	const size_t handles = gemHandleCount(*device_);
	const size_t fds = openFdCount();
	const int fbs = framebufferCount(*device_);
	auto fb = device_->addFramebuffer(*heap);
	ASSERT_FALSE(fb) << "virtio_gpu scanned out a dma-heap buffer: has the kernel learnt to import?";
	EXPECT_EQ(fb.error().code, ENODEV) << fb.error().toString();
	const std::string &msg = fb.error().message;
	EXPECT_NE(msg.find(device_->path() + " (virtio_gpu) cannot scan out this " + system +
			   " buffer: it imports only its own memory (probed: "),
		  std::string::npos)
		<< msg;
	EXPECT_NE(msg.find("allocate on virtio_gpu itself"), std::string::npos) << msg;
	EXPECT_EQ(gemHandleCount(*device_), handles);
	EXPECT_EQ(openFdCount(), fds);
	EXPECT_EQ(framebufferCount(*device_), fbs) << "a framebuffer was left behind";
	RecordProperty("refusal", fb.error().toString());
	std::cout << "refused: " << fb.error().toString() << "\n";
}
