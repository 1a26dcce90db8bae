// SPDX-License-Identifier: MIT
#pragma once

#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include <hbm/context.hpp>
#include <hbm/heap.hpp>

#include "fakes/lab_requirement.hpp"
#include "fakes/process_resources.hpp"

#include <drm_fourcc.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include <hbm/kms.hpp>
#include <hbm-test/display.hpp>
#include <hbm-test/pattern.hpp>


namespace hbm::test {

/// A kB value from /proc/meminfo (e.g. "CmaFree"), or -1.
inline long meminfoKb(const std::string &key)
{
	std::ifstream in("/proc/meminfo");
	std::string name;
	long value;
	std::string unit;
	while (in >> name >> value) {
		std::getline(in, unit);
		if (name == key + ":")
			return value;
	}
	return -1;
}

/// A number from a sysfs attribute, or -1.
inline long sysfsCounter(const std::string &path)
{
	std::ifstream in(path);
	long value = -1;
	in >> value;
	return in ? value : -1;
}

/// The process's context (probing is not free: once per test binary).
inline std::shared_ptr<Context> context()
{
	static std::shared_ptr<Context> ctx = [] {
		auto made = Context::create();
		return made ? *made : nullptr;
	}();
	return ctx;
}

/// The allocator a test parameter names: "system" (dma-heap), "cma" (a contiguous
/// dma-heap), "udmabuf", "dumb" and "gbm" (on vkms), "DRIVER-dumb" and "DRIVER-gbm" (on
/// the card of DRM driver DRIVER: "vgem-dumb", "cirrus-gbm"). Empty if this machine lacks it.
inline std::string allocatorFor(const std::string &key)
{
	if (!context())
		return {};
	auto onDriver = [&](const AllocatorInfo &a, const char *suffix, AllocatorKind kind) {
		const std::string s(suffix);
		return a.kind == kind && key.size() > s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0 &&
		       a.drmDriver == key.substr(0, key.size() - s.size());
	};
	for (const AllocatorInfo &a : context()->allocators()) {
		bool match = (key == "system" && a.name == "dma-heap:system") ||
			     (key == "cma" && a.kind == AllocatorKind::DmaHeap && a.contiguous) ||
			     (key == "udmabuf" && a.kind == AllocatorKind::Udmabuf) ||
			     (key == "dumb" && a.kind == AllocatorKind::DrmDumb && a.drmDriver == "vkms") ||
			     (key == "gbm" && a.kind == AllocatorKind::Gbm && a.drmDriver == "vkms") ||
			     onDriver(a, "-dumb", AllocatorKind::DrmDumb) || onDriver(a, "-gbm", AllocatorKind::Gbm);
		if (match)
			return a.name;
	}
	return {};
}

inline AllocatorInfo allocatorInfo(const std::string &name)
{
	for (const AllocatorInfo &a : context()->allocators())
		if (a.name == name)
			return a;
	return {};
}

/// Allocates from the allocator named @name, failing the test on error.
inline std::shared_ptr<Buffer> allocateFrom(const std::string &name, const BufferDesc &desc,
					    uint32_t usage = UsageScanout | UsageCpuWrite)
{
	AllocationOptions options;
	options.allocator = name;
	options.usage = usage;
	auto buffer = context()->allocate(desc, options);
	EXPECT_TRUE(buffer) << buffer.error().toString();
	return buffer ? *buffer : nullptr;
}

/// Allocates once from @name, so that what an allocator sets up at its first allocation (GBM
/// makes its gbm_device and loads a Mesa driver, with its own descriptors and mappings) is
/// not taken for a test's leak.
inline void warmUp(const std::string &name)
{
	allocateFrom(name, {64, 64, DRM_FORMAT_XRGB8888}, UsageRender);
}

inline const std::string kAllAllocators[] = {"system", "cma", "udmabuf", "dumb", "gbm"};

/// Resident memory of this process in kB (VmRSS), or -1.
inline long rssKb()
{
	std::ifstream in("/proc/self/status");
	std::string line;
	while (std::getline(in, line))
		if (line.rfind("VmRSS:", 0) == 0)
			return std::stol(line.substr(6));
	return -1;
}

/// A sw_sync timeline (debugfs), standing in for a device's fences.
class SwSyncTimeline
{
public:
	SwSyncTimeline() : fd_(::open("/sys/kernel/debug/sync/sw_sync", O_RDWR | O_CLOEXEC)) {}
	bool isValid() const { return fd_.isValid(); }
	/// A fence that signals when the timeline reaches @value.
	UniqueFd fenceAt(uint32_t value)
	{
		CreateFence data = {value, "hbm-test", -1};
		if (::ioctl(fd_.get(), _IOWR('W', 0, CreateFence), &data) < 0)
			return UniqueFd();
		return UniqueFd(data.fence);
	}
	bool advance(uint32_t by) { return ::ioctl(fd_.get(), _IOW('W', 1, uint32_t), &by) == 0; }

private:
	// drivers/dma-buf/sw_sync.c's uapi (debugfs only, so no installed header).
	struct CreateFence {
		uint32_t value;
		char name[32];
		int32_t fence;
	};
	UniqueFd fd_;
};

/// The first plane of @type of @vkms as a participant, foreign import probed with the
/// probing context's pages; nullopt if there is none.
inline std::optional<Participant> planeParticipant(const KmsDevice &vkms, PlaneType type)
{
	auto planes = vkms.planeParticipants(*context());
	if (!planes)
		return std::nullopt;
	const Participant *p = findPlane(*planes, type);
	return p ? std::optional<Participant>(*p) : std::nullopt;
}

/// A fixture holding vkms and its primary and cursor planes as participants.
class VkmsPlanes : public ::testing::Test
{
protected:
	void SetUp() override
	{
		auto vkms = KmsDevice::openByDriver("vkms");
		HBM_REQUIRE_DEVICE(vkms.ok(), vkms ? "" : vkms.error().message);
		vkms_ = *vkms;
		auto primary = planeParticipant(*vkms_, PlaneType::Primary);
		auto cursor = planeParticipant(*vkms_, PlaneType::Cursor);
		ASSERT_TRUE(primary && cursor) << "vkms without primary or cursor plane";
		primary_ = *primary;
		cursor_ = *cursor;
	}
	std::shared_ptr<KmsDevice> vkms_;
	Participant primary_, cursor_;
};

/// Shows @shown (XRGB8888 with the test pattern) on vkms's primary plane, captures the
/// display through writeback and checks the capture holds the pattern.
inline ::testing::AssertionResult displaysTestPattern(const Buffer &shown)
{
	auto display = Display::openByDriver("vkms");
	if (!display)
		return ::testing::AssertionFailure() << display.error().toString();
	KmsDevice &vkms = (*display)->device();
	auto fb = vkms.addFramebuffer(shown);
	if (!fb)
		return ::testing::AssertionFailure() << fb.error().toString();
	if (auto lit = (*display)->showOnPrimary(*fb); !lit)
		return ::testing::AssertionFailure() << lit.error().toString();
	AllocationOptions options;
	options.allocator = allocatorFor("system");
	auto capture = context()->allocate({shown.width(), shown.height(), DRM_FORMAT_XRGB8888}, options);
	if (!capture)
		return ::testing::AssertionFailure() << capture.error().toString();
	auto target = vkms.addFramebuffer(**capture);
	if (!target)
		return ::testing::AssertionFailure() << target.error().toString();
	if (auto done = (*display)->captureWriteback(*target); !done)
		return ::testing::AssertionFailure() << done.error().toString();
	auto read = (*capture)->beginCpuAccess(CpuAccessMode::Read);
	if (!read)
		return ::testing::AssertionFailure() << read.error().toString();
	auto same = verifyTestPattern(*read, (*capture)->layout());
	if (!same)
		return ::testing::AssertionFailure() << same.error().message;
	return ::testing::AssertionSuccess();
}

/// Names a test parameterised by allocator after it ("system", "cma" …).
inline std::string paramName(const ::testing::TestParamInfo<std::string> &param)
{
	return param.param;
}

} // namespace hbm::test
