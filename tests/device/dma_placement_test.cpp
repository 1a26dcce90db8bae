// SPDX-License-Identifier: MIT
// Facts learnt from the machine, not assumed, on the displays both lab machines have:
// "does DMA, needs contiguous memory unless an IOMMU maps it" decided by one rule from the
// probe (cirrus behind the iommu machine's IOMMU gets scattered memory, without it the CMA
// heap — the CMA page counters say which), and "imports memory made elsewhere" probed
// (vkms and cirrus do, with or without DRM master). Runs in the default and the iommu
// machine; which one it is comes from /sys/class/iommu, not from hbm.
#include <dirent.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>

#include <gtest/gtest.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include <hbm/hbm.hpp>
#include <hbm-test/screendump.hpp>

#include "context_private.hpp"
#include "device_test.hpp"
#include "kms/import_probe.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

/// Whether this machine has an IOMMU unit (/sys/class/iommu/dmar0 …): read apart from hbm,
/// which asks each device's iommu_group.
bool machineHasIommu()
{
	DIR *dir = ::opendir("/sys/class/iommu");
	if (!dir)
		return false;
	bool any = false;
	while (dirent *e = ::readdir(dir))
		any |= e->d_name[0] != '.';
	::closedir(dir);
	return any;
}

const char *const kDmaRules = "[device.cirrus]\nmatch.drm_driver = \"cirrus\"\ncontiguous_without_iommu = true\n"
			      "[device.vkms]\nmatch.drm_driver = \"vkms\"\ncontiguous_without_iommu = true\n";

std::shared_ptr<Context> contextWith(const std::string &toml)
{
	auto config = parseConfig(toml, "lab.toml");
	EXPECT_TRUE(config) << config.error().message;
	if (!config)
		return nullptr;
	auto ctx = Context::create(*config);
	EXPECT_TRUE(ctx) << ctx.error().message;
	return ctx ? *ctx : nullptr;
}

/// A CMA area's page counter (CONFIG_CMA_SYSFS) for the heap allocator @cma ("dma-heap:reserved").
long cmaPages(const std::string &cma, const char *counter)
{
	return sysfsCounter("/sys/kernel/mm/cma/" + cma.substr(cma.find(':') + 1) + "/" + counter);
}

class DmaPlacement : public ::testing::TestWithParam<std::string>
{
protected:
	void SetUp() override
	{
		cma_ = allocatorFor("cma");
		HBM_REQUIRE_DEVICE(!cma_.empty(), "no CMA dma-heap");
		auto device = KmsDevice::openByDriver(GetParam());
		HBM_REQUIRE_DEVICE(device.ok(), device ? "" : device.error().message);
		device_ = *device;
		auto primary = planeParticipant(*device_, PlaneType::Primary);
		ASSERT_TRUE(primary) << GetParam() << " has no primary plane";
		primary_ = *primary;
	}
	std::string cma_;
	std::shared_ptr<KmsDevice> device_;
	Participant primary_;
};

} // namespace

// The same rule on both displays: cirrus (PCI) follows the machine's IOMMU, vkms (a
// platform device, never in an IOMMU group) gets CMA in both machines.
TEST_P(DmaPlacement, OneRuleDecidesFromTheProbeAndTheCmaCountersAgree)
{
	const bool iommu = GetParam() == "cirrus" && machineHasIommu();
	auto ctx = contextWith(kDmaRules);
	ASSERT_TRUE(ctx);
	auto plan = ctx->negotiate({1024, 768, {DRM_FORMAT_XRGB8888}, UsageScanout}, {primary_});
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), iommu ? "dma-heap:system" : cma_);
	const std::string said = "rule '" + GetParam() + "' of lab.toml: contiguous unless an IOMMU maps it: ";
	EXPECT_NE(plan->trace()[0].find(said + (iommu ? "IOMMU group " : "no iommu_group in /sys/devices/")),
		  std::string::npos)
		<< plan->trace()[0];
	EXPECT_NE(plan->trace()[0].find(iommu ? "maps it, so scattered allowed" : ", so contiguous"), std::string::npos)
		<< plan->trace()[0];
	RecordProperty("plan_allocator", plan->allocator());
	RecordProperty("participant_source", primary_.source);

	const long before = cmaPages(cma_, "alloc_pages_success");
	ASSERT_GE(before, 0) << "no CMA counters (CONFIG_CMA_SYSFS)";
	auto buffer = ctx->allocate(*plan);
	ASSERT_TRUE(buffer) << buffer.error().toString();
	const long moved = cmaPages(cma_, "alloc_pages_success") - before;
	RecordProperty("cma_pages_allocated", std::to_string(moved));
	EXPECT_EQ(moved, iommu ? 0 : long((*buffer)->layout().size / 4096))
		<< "CMA pages handed out for a " << (*buffer)->layout().size << "-byte buffer";
	std::cout << GetParam() << (machineHasIommu() ? " (IOMMU machine)" : " (no IOMMU)") << ": plan "
		  << plan->allocator() << ", CMA alloc_pages_success +" << moved << " for a "
		  << (*buffer)->layout().size << "-byte buffer\n  " << plan->trace()[0] << "\n";

	// Usable: shown on the display it was planned for, and read back — vkms through its
	// writeback, cirrus (no writeback) by qemu's screendump.
	{
		auto write = (*buffer)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(write) << write.error().toString();
		ASSERT_TRUE(writeTestPattern(*write, (*buffer)->layout()));
	}
	if (GetParam() == "vkms") {
		EXPECT_TRUE(displaysTestPattern(**buffer));
		return;
	}
	auto display = Display::openByDriver(GetParam());
	ASSERT_TRUE(display) << display.error().toString();
	auto fb = (*display)->device().addFramebuffer(**buffer);
	ASSERT_TRUE(fb) << fb.error().toString();
	auto shown = (*display)->showOnPrimary(*fb);
	ASSERT_TRUE(shown) << shown.error().toString();
	auto screen = screendump("cirrus");
	ASSERT_TRUE(screen) << "cannot read the display back: " << screen.error().toString();
	auto read = (*buffer)->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_TRUE(read) << read.error().toString();
	auto same = compareWithScreen(*read, (*buffer)->layout(), *screen);
	EXPECT_TRUE(same) << same.error().message;
}

TEST_P(DmaPlacement, ImportsForeignMemoryAsProbed)
{
	EXPECT_EQ(primary_.constraints.placement.localTo, dev_t(0)) << primary_.source;
	EXPECT_NE(primary_.source.find("imports foreign dma-bufs (probed: PRIME import of a one-page dma-heap:system buffer worked)"),
		  std::string::npos)
		<< primary_.source;
	EXPECT_EQ(knownForeignImport(std::get<KmsPlaneIdentity>(primary_.identity).device).answer, ForeignImport::Importable)
		<< "the answer is kept for the process";

	// What a probe costs, foreign page included (measured again: the kept answer is free).
	std::vector<uint64_t> us;
	const int fd = device_->fd();
	for (int i = 0; i < 21; ++i) {
		ImportProbe probe = probeForeignImport(
			[fd](int dmabuf, uint32_t *handle) { return drmPrimeFDToHandle(fd, dmabuf, handle) ? -errno : 0; },
			[fd](uint32_t handle) { drmCloseBufferHandle(fd, handle); }, [] { return foreignPageOf(*context()); });
		ASSERT_EQ(probe.answer, ForeignImport::Importable) << probe.how;
		us.push_back(probe.microseconds);
	}
	std::sort(us.begin(), us.end());
	RecordProperty("probe_median_us", std::to_string(us[us.size() / 2]));
	RecordProperty("probe_max_us", std::to_string(us.back()));
	std::cout << GetParam() << ": import probe median " << us[us.size() / 2] << " us, max " << us.back() << " us\n";
}

// The probe needs neither DRM master nor an authenticated file: a compositor holds master,
// and hbm's fd (here a child's, opened without CAP_SYS_ADMIN, so not authenticated either)
// probes all the same.
TEST_P(DmaPlacement, ProbeNeedsNoMasterAndNoAuthentication)
{
	auto display = Display::openByDriver(GetParam()); // the "compositor": DRM master
	ASSERT_TRUE(display) << display.error().toString();
	const std::string card = cardForDriver(GetParam());
	ASSERT_FALSE(card.empty());
	const pid_t child = ::fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		__user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
		__user_cap_data_struct data[2] = {};
		if (::syscall(SYS_capget, &header, data) != 0)
			::_exit(10);
		data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
		data[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
		if (::syscall(SYS_capset, &header, data) != 0)
			::_exit(11);
		const int fd = ::open(card.c_str(), O_RDWR | O_CLOEXEC);
		if (fd < 0)
			::_exit(12);
		if (drmIsMaster(fd))
			::_exit(13);
		// GEM_OPEN is DRM_AUTH: EACCES proves the file is not authenticated.
		drm_gem_open open = {};
		open.name = 1;
		if (::ioctl(fd, DRM_IOCTL_GEM_OPEN, &open) == 0 || errno != EACCES)
			::_exit(14);
		ImportProbe probe = probeForeignImport(
			[fd](int dmabuf, uint32_t *handle) { return drmPrimeFDToHandle(fd, dmabuf, handle) ? -errno : 0; },
			[fd](uint32_t handle) { drmCloseBufferHandle(fd, handle); }, [] { return foreignPageOf(*context()); });
		::_exit(probe.answer == ForeignImport::Importable ? 0 : 20 + int(probe.answer));
	}
	int status = 0;
	ASSERT_EQ(::waitpid(child, &status, 0), child);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0) << "10-11: capabilities, 12: open, 13: became master, 14: the file is "
					     "authenticated after all, 2x: the probe's answer";
}

INSTANTIATE_TEST_SUITE_P(Lab, DmaPlacement, ::testing::Values("cirrus", "vkms"), paramName);

// The same rule for a V4L2 queue: the IOMMU question is asked of any participant with a
// sysfs directory. vivid is a platform device, in no IOMMU group in either machine.
TEST(DmaPlacementV4l2, RuleDecidesForAVideoQueueToo)
{
	auto vivid = V4l2Device::openByDriver("vivid", V4l2Queue::Capture);
	HBM_REQUIRE_DEVICE(vivid.ok(), vivid ? "" : vivid.error().message);
	auto camera = (*vivid)->participant(V4l2Queue::Capture, 640, 480);
	ASSERT_TRUE(camera) << camera.error().toString();
	EXPECT_EQ(camera->sysfsPath.rfind("/sys/devices/", 0), 0u) << camera->sysfsPath;
	auto ctx = contextWith("[device.camera]\nmatch.v4l2_card = \"" + camera->v4l2Card() +
			       "\"\ncontiguous_without_iommu = true\n");
	ASSERT_TRUE(ctx);
	auto ruled = ctx->withRules({*camera});
	EXPECT_TRUE(ruled[0].constraints.placement.contiguous);
	EXPECT_NE(ruled[0].source.find("rule 'camera' of lab.toml: contiguous unless an IOMMU maps it: no iommu_group in " +
				       camera->sysfsPath + ", so contiguous"),
		  std::string::npos)
		<< ruled[0].source;
}
