// SPDX-License-Identifier: MIT
// Fault injection on a real kernel (the lab; docs/fault-injection.md): every call hbm makes
// to allocate from each device allocator, export, CPU access (mmap + DMA_BUF_IOCTL_SYNC),
// share, import a real dma-buf and put it on a KMS plane fails at every N — including the
// ioctls libdrm's drmIoctl() and Mesa GBM make — and nothing is left behind: fds, mappings,
// GEM handles. A faulted run costs milliseconds even under TCG, so the lab sweeps the same
// errnos as the host (tests/unit/fault_injection_test.cpp).
#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include <hbm/buffer.hpp>
#include <hbm/kms.hpp>
#include <hbm/share.hpp>
#include <hbm/v4l2.hpp>

#include "fakes/fault_sweep.hpp"
#include "fakes/fault_sweep_checks.hpp"
#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;
using namespace hbm::test::fault;

namespace {

constexpr BufferDesc kImage = {64, 32, DRM_FORMAT_XRGB8888};

/// For every KMS card this process has open (each allocator and GBM holds descriptors of
/// its own), the handle a new GEM object would get, summed. The kernel hands out the
/// lowest free handle (idr_alloc from 1), so a handle left behind on any of them raises it.
size_t lowestFreeGemHandles()
{
	size_t sum = 0;
	std::unique_ptr<DIR, int (*)(DIR *)> dir(::opendir("/proc/self/fd"), ::closedir);
	while (struct dirent *e = dir ? ::readdir(dir.get()) : nullptr) {
		char target[256] = {};
		const std::string link = std::string("/proc/self/fd/") + e->d_name;
		if (::readlink(link.c_str(), target, sizeof(target) - 1) < 0 ||
		    std::string(target).rfind("/dev/dri/card", 0) != 0)
			continue;
		const int fd = std::atoi(e->d_name);
		struct drm_mode_create_dumb create = {};
		create.width = create.height = 1;
		create.bpp = 32;
		if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0)
			continue;
		sum += create.handle;
		struct drm_mode_destroy_dumb destroy = {create.handle};
		drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	}
	return sum;
}

SweepOptions labOptions()
{
	SweepOptions o;
	o.counters.push_back({"GEM handles", lowestFreeGemHandles});
	return o;
}

Result<void> allocateAndDrop(const std::string &allocator)
{
	AllocationOptions options;
	options.allocator = allocator;
	options.usage = UsageRender | UsageCpuWrite;
	auto b = context()->allocate(kImage, options);
	if (!b)
		return b.error();
	return {};
}

} // namespace

class FaultAllocate : public ::testing::TestWithParam<std::string>
{
protected:
	void SetUp() override
	{
		name_ = allocatorFor(GetParam());
		HBM_REQUIRE_DEVICE(!name_.empty(), "no " + GetParam() + " allocator");
		warmUp(name_);
	}
	std::string name_;
};

TEST_P(FaultAllocate, EveryCallFailsAtEveryN)
{
	SweepOptions options = labOptions();
	if (GetParam() == "gbm") {
		// Mesa's kms_swrast makes the dumb buffer and GBM returns NULL with EINVAL, the
		// kernel's errno lost: hbm can only say which GBM call made nothing.
		options.errnoLost = [](const SeenCall &c) {
			return c.kind == Call::Ioctl && c.request == DRM_IOCTL_MODE_CREATE_DUMB;
		};
		options.errnoLostWords = {"Mesa GBM made no buffer"};
	}
	EXPECT_TRUE(clean(sweep([&] { return allocateAndDrop(name_); }, options)));
}

INSTANTIATE_TEST_SUITE_P(All, FaultAllocate, ::testing::ValuesIn(kAllAllocators),
			 [](const auto &p) { return p.param; });

// libdrm's drmIoctl() and Mesa GBM reach ioctl() through the PLT: the rig sees their calls.
TEST(FaultRigInLab, SeesLibdrmAndMesaIoctls)
{
	const std::string dumb = allocatorFor("dumb"), gbm = allocatorFor("gbm");
	HBM_REQUIRE_DEVICE(!dumb.empty() && !gbm.empty(), "no dumb or gbm allocator on vkms");
	warmUp(dumb);
	warmUp(gbm);
	const auto dumbCalls = dryRun([&] { return allocateAndDrop(dumb); });
	const auto gbmCalls = dryRun([&] { return allocateAndDrop(gbm); });
	const auto count = [](const std::vector<SeenCall> &calls, unsigned long request) {
		size_t n = 0;
		for (const SeenCall &c : calls)
			n += c.kind == Call::Ioctl && c.request == request;
		return n;
	};
	EXPECT_EQ(count(dumbCalls, DRM_IOCTL_MODE_CREATE_DUMB), 1u) << "hbm's dumb allocator, through drmIoctl()";
	EXPECT_EQ(count(dumbCalls, DRM_IOCTL_PRIME_HANDLE_TO_FD), 1u) << "drmPrimeHandleToFD()";
	EXPECT_GE(count(gbmCalls, DRM_IOCTL_MODE_CREATE_DUMB), 1u) << "Mesa's kms_swrast makes a dumb buffer";
	std::printf("dumb allocation: %zu calls; GBM allocation: %zu calls\n", dumbCalls.size(), gbmCalls.size());
}

class FaultOnHeapBuffers : public ::testing::Test
{
protected:
	void SetUp() override
	{
		system_ = allocatorFor("system");
		HBM_REQUIRE_DEVICE(!system_.empty(), "no system dma-heap");
		warmUp(system_);
	}
	std::shared_ptr<Buffer> buffer() { return allocateFrom(system_, kImage, UsageRender | UsageCpuWrite); }
	std::string system_;
};

TEST_F(FaultOnHeapBuffers, Export)
{
	auto b = buffer();
	ASSERT_TRUE(b);
	EXPECT_TRUE(clean(sweep(
		[&]() -> Result<void> {
			auto planes = b->exportPlanes();
			if (!planes)
				return planes.error();
			return {};
		},
		labOptions())));
}

TEST_F(FaultOnHeapBuffers, CpuAccessMapsAndSyncs)
{
	EXPECT_TRUE(clean(sweep(
		[&]() -> Result<void> {
			// A fresh buffer each run: a buffer keeps its mapping from its first access.
			AllocationOptions options;
			options.allocator = system_;
			auto b = context()->allocate(kImage, options);
			if (!b)
				return b.error();
			return writeAndRead(**b);
		},
		labOptions())));
}

TEST_F(FaultOnHeapBuffers, Import)
{
	auto b = buffer();
	ASSERT_TRUE(b);
	auto planes = b->exportPlanes();
	ASSERT_TRUE(planes) << planes.error().toString();
	const PlaneExport &p = (*planes)[0];
	EXPECT_TRUE(clean(sweep(
		[&]() -> Result<void> {
			auto imported = Buffer::import({b->width(),
							b->height(),
							b->format(),
							b->modifier(),
							{{p.fd.get(), p.offset, p.stride}}});
			if (!imported)
				return imported.error();
			return writeAndRead(**imported);
		},
		labOptions())));
}

TEST_F(FaultOnHeapBuffers, ShareOverSeqpacket)
{
	auto b = buffer();
	ASSERT_TRUE(b);
	EXPECT_TRUE(clean(sweep(
		[&]() -> Result<void> {
			int pair[2];
			if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
				return Error{errno, "socketpair"};
			UniqueFd a(pair[0]), c(pair[1]);
			if (auto sent = sendBuffer(a.get(), *b); !sent)
				return sent.error();
			auto received = receiveBuffer(c.get());
			if (!received)
				return received.error();
			return {};
		},
		labOptions())));
}

// Import into a display: PRIME into hbm's GEM handle table, ADDFB2, RMFB, GEM_CLOSE.
TEST_F(FaultOnHeapBuffers, FramebufferOnVkms)
{
	auto vkms = KmsDevice::openByDriver("vkms");
	HBM_REQUIRE_DEVICE(vkms, "no vkms");
	auto b = buffer();
	ASSERT_TRUE(b);
	SweepOptions options = labOptions();
	options.counters.push_back({"hbm's GEM handle table", [&] {
					    return gemHandleCount(**vkms);
				    }});
	EXPECT_TRUE(clean(sweep(
		[&]() -> Result<void> {
			auto fb = (*vkms)->addFramebuffer(*b);
			if (!fb)
				return fb.error();
			return {};
		},
		options)));
}

TEST_F(FaultOnHeapBuffers, FencesOutAndIn)
{
	auto b = buffer();
	ASSERT_TRUE(b);
	EXPECT_TRUE(clean(sweep([&]() -> Result<void> {
		auto fence = b->exportSyncFile(CpuAccessMode::Write);
		if (!fence)
			return fence.error();
		return b->importSyncFile(fence->get(), CpuAccessMode::Write);
	}, labOptions())));
}

// Opening a V4L2 device and asking what its queue takes: QUERYCAP, REQBUFS, ENUM_FMT, TRY_FMT.
TEST(FaultInLab, V4l2Participant)
{
	auto vivid = V4l2Device::openByDriver("vivid", V4l2Queue::Capture);
	HBM_REQUIRE_DEVICE(vivid.ok(), vivid ? "" : vivid.error().message);
	vivid->reset();
	EXPECT_TRUE(clean(sweep([&]() -> Result<void> {
		auto device = V4l2Device::openByDriver("vivid", V4l2Queue::Capture);
		if (!device)
			return device.error();
		auto camera = (*device)->participant(V4l2Queue::Capture, 640, 480);
		if (!camera)
			return camera.error();
		return {};
	})));
}

TEST(FaultInLab, ContextProbing)
{
	HBM_REQUIRE_DEVICE(!allocatorFor("system").empty(), "no system dma-heap");
	// Probing opens every device and asks each: a failure drops that allocator (with a
	// note), so probing succeeds, and must leave nothing behind.
	SweepOptions options;
	ContextOptions probe;
	probe.probe = true;
	EXPECT_TRUE(clean(sweep(
		[&]() -> Result<void> {
			auto ctx = Context::create(probe);
			if (!ctx)
				return ctx.error();
			return {};
		},
		options)));
}
