// SPDX-License-Identifier: MIT
// "Is this device behind an IOMMU", read from fake sysfs trees, and the one rule that
// follows for a device doing DMA: the driver quirk table and `[device.RULE]
// contiguous_without_iommu` both decide through it, and the plan follows.
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include <drm_fourcc.h>

#include <hbm/config.hpp>
#include <hbm/context.hpp>
#include "negotiation_private.hpp"

#include "context_private.hpp"
#include "base/iommu.hpp"

using namespace hbm;
namespace fs = std::filesystem;

namespace {

/// A fake /sys: a device directory, and IOMMU groups under kernel/iommu_groups.
class FakeSysfs : public ::testing::Test
{
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/hbm-sysfs-XXXXXX";
		ASSERT_NE(::mkdtemp(tmpl), nullptr);
		root_ = tmpl;
	}
	void TearDown() override { fs::remove_all(root_); }

	/// /sys/devices/pci0000:00/0000:00:0N.0, with no iommu_group.
	std::string device(int n)
	{
		fs::path dir = root_ / "devices/pci0000:00" / ("0000:00:0" + std::to_string(n) + ".0");
		fs::create_directories(dir);
		return dir;
	}
	/// Puts @dev in IOMMU group @group, whose default domain is @type ("" writes no type file,
	/// as before Linux 5.11).
	void group(const std::string &dev, int group, const std::string &type)
	{
		fs::path dir = root_ / "kernel/iommu_groups" / std::to_string(group);
		fs::create_directories(dir);
		if (!type.empty())
			std::ofstream(dir / "type") << type << "\n";
		fs::create_directory_symlink(dir, fs::path(dev) / "iommu_group");
	}

	fs::path root_;
};

Participant cirrusPlane(const std::string &sysfsPath)
{
	Participant p;
	p.identity = KmsPlaneIdentity{makedev(226, 0), 31, PlaneType::Primary, 1, "cirrus"};
	p.source = "IN_FORMATS of /dev/dri/card0";
	p.sysfsPath = sysfsPath;
	p.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	return p;
}

AllocatorInfo heap(const std::string &name, bool contiguous)
{
	AllocatorInfo a;
	a.name = name;
	a.kind = AllocatorKind::DmaHeap;
	a.contiguous = contiguous;
	a.deviceImportable = true;
	a.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	return a;
}

const std::vector<AllocatorInfo> kHeaps = {heap("dma-heap:system", false), heap("dma-heap:reserved", true)};

Config rule(const std::string &toml)
{
	auto config = parseConfig(toml, "hbm.toml");
	EXPECT_TRUE(config) << config.error().message;
	return config ? *config : Config{};
}

const char *const kCirrusRule = "[device.cirrus]\nmatch.drm_driver = \"cirrus\"\ncontiguous_without_iommu = true\n";

} // namespace

TEST_F(FakeSysfs, NoGroupIsNoIommu)
{
	const std::string dev = device(2);
	IommuState s = iommuOf(dev);
	EXPECT_FALSE(s.translated);
	EXPECT_EQ(s.why, "no iommu_group in " + dev);
}

TEST_F(FakeSysfs, ATranslatingGroupMapsTheDevice)
{
	const std::string dma = device(2), fq = device(3);
	group(dma, 1, "DMA");
	group(fq, 2, "DMA-FQ");
	EXPECT_TRUE(iommuOf(dma).translated);
	EXPECT_EQ(iommuOf(dma).why, "IOMMU group 1 (DMA)");
	EXPECT_TRUE(iommuOf(fq).translated);
	EXPECT_EQ(iommuOf(fq).why, "IOMMU group 2 (DMA-FQ)");
}

TEST_F(FakeSysfs, PassthroughAndBlockedGroupsDoNotTranslate)
{
	const std::string pt = device(2), blocked = device(3);
	group(pt, 4, "identity");
	group(blocked, 5, "blocked");
	EXPECT_FALSE(iommuOf(pt).translated);
	EXPECT_EQ(iommuOf(pt).why, "IOMMU group 4 in identity mode, which does not translate");
	EXPECT_FALSE(iommuOf(blocked).translated);
}

TEST_F(FakeSysfs, AGroupWithoutTypeIsTakenAsTranslating)
{
	const std::string dev = device(2);
	group(dev, 6, "");
	EXPECT_TRUE(iommuOf(dev).translated);
	EXPECT_NE(iommuOf(dev).why.find("IOMMU group 6 (no domain type shown"), std::string::npos) << iommuOf(dev).why;
}

TEST(Iommu, NoSysfsPathIsNoIommu)
{
	EXPECT_FALSE(iommuOf("").translated);
}

TEST(Iommu, OneRuleDecidesBothWays)
{
	Placement placement;
	EXPECT_EQ(contiguousUnlessIommu(placement, {false, "no iommu_group in /sys/devices/x"}),
		  "contiguous unless an IOMMU maps it: no iommu_group in /sys/devices/x, so contiguous");
	EXPECT_TRUE(placement.contiguous);
	EXPECT_EQ(contiguousUnlessIommu(placement, {true, "IOMMU group 1 (DMA)"}),
		  "contiguous unless an IOMMU maps it: IOMMU group 1 (DMA) maps it, so scattered allowed");
	EXPECT_FALSE(placement.contiguous);
}

TEST_F(FakeSysfs, RuleWithoutIommuPlansTheCmaHeap)
{
	const std::string dev = device(2);
	auto ruled = applyRules(rule(kCirrusRule), {cirrusPlane(dev)});
	ASSERT_EQ(ruled.size(), 1u);
	EXPECT_TRUE(ruled[0].constraints.placement.contiguous);
	EXPECT_NE(ruled[0].source.find("; rule 'cirrus' of hbm.toml: contiguous unless an IOMMU maps it: no iommu_group in " +
				       dev + ", so contiguous"),
		  std::string::npos)
		<< ruled[0].source;
	auto plan = negotiate({640, 480, {DRM_FORMAT_XRGB8888}, UsageScanout}, ruled, kHeaps);
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), "dma-heap:reserved");
	EXPECT_NE(plan->trace()[0].find("so contiguous"), std::string::npos) << plan->trace()[0];
}

TEST_F(FakeSysfs, RuleBehindAnIommuPlansScatteredMemory)
{
	const std::string dev = device(2);
	group(dev, 1, "DMA");
	Participant plane = cirrusPlane(dev);
	plane.constraints.placement.contiguous = true; // as the DMA-helper quirk would say without the IOMMU
	auto ruled = applyRules(rule(kCirrusRule), {plane});
	EXPECT_FALSE(ruled[0].constraints.placement.contiguous);
	EXPECT_NE(ruled[0].source.find("rule 'cirrus' of hbm.toml: contiguous unless an IOMMU maps it: IOMMU group 1 (DMA) "
				       "maps it, so scattered allowed"),
		  std::string::npos)
		<< ruled[0].source;
	auto plan = negotiate({640, 480, {DRM_FORMAT_XRGB8888}, UsageScanout}, ruled, kHeaps);
	ASSERT_TRUE(plan) << plan.error().message;
	EXPECT_EQ(plan->allocator(), "dma-heap:system");
}

TEST_F(FakeSysfs, RuleLeavesOtherDevicesAlone)
{
	Participant vkms = cirrusPlane(device(2));
	std::get<KmsPlaneIdentity>(vkms.identity).driver = "vkms";
	auto ruled = applyRules(rule(kCirrusRule), {vkms});
	EXPECT_FALSE(ruled[0].constraints.placement.contiguous);
	EXPECT_EQ(ruled[0].source, "IN_FORMATS of /dev/dri/card0");
}

TEST(Iommu, RuleOnAParticipantWithoutSysfsPathIsContiguous)
{
	auto ruled = applyRules(rule(kCirrusRule), {cirrusPlane("")});
	EXPECT_TRUE(ruled[0].constraints.placement.contiguous);
	EXPECT_NE(ruled[0].source.find("no sysfs directory known (taken as no IOMMU), so contiguous"), std::string::npos)
		<< ruled[0].source;
}
