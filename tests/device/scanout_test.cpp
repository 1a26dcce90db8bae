// SPDX-License-Identifier: MIT
// The vertical slice, from every allocator: a buffer written by the CPU between sync start
// and end, imported into a display, scanned out on the primary plane and read back pixel
// for pixel — on vkms through its writeback connector, on cirrus (qemu's cirrus-vga, a
// driver written by others, without writeback) by qemu's own screendump of the display.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <hbm/buffer.hpp>
#include <hbm/format.hpp>
#include <hbm/kms.hpp>
#include <hbm-test/display.hpp>
#include <hbm-test/pattern.hpp>
#include <hbm-test/screendump.hpp>

#include "device_test.hpp"
#include "base/dma_buf.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

constexpr BufferDesc k1080p{1920, 1080, DRM_FORMAT_XRGB8888};

} // namespace

/// The allocator the parameter names and vkms as a display.
class Scanout : public ::testing::TestWithParam<std::string>
{
protected:
	void SetUp() override
	{
		allocator_ = allocatorFor(GetParam());
		HBM_REQUIRE_DEVICE(!allocator_.empty(), "no " + GetParam() + " allocator");
		warmUp(allocator_);
		auto display = Display::openByDriver("vkms");
		HBM_REQUIRE_DEVICE(display.ok(), display ? "" : display.error().message);
		display_ = std::move(*display);
	}
	KmsDevice &vkms() { return display_->device(); }
	std::string allocator_;
	std::unique_ptr<Display> display_;
};

TEST_P(Scanout, WritebackCaptureEqualsWhatTheCpuWrote)
{
	size_t fdsBefore = openFdCount();
	std::string fdsBeforeList = openFdList();
	ASSERT_TRUE(display_->writebackFormats().containsFormat(DRM_FORMAT_XRGB8888))
		<< "vkms writeback formats: " << display_->writebackFormats().toString();
	{
		auto shown = allocateFrom(allocator_, k1080p);
		ASSERT_TRUE(shown);
		DmaBufSyncCounters before = dmaBufSyncCounters();
		{
			auto access = shown->beginCpuAccess(CpuAccessMode::Write);
			ASSERT_TRUE(access) << access.error().toString();
			ASSERT_TRUE(writeTestPattern(*access, shown->layout()));
		}
		DmaBufSyncCounters after = dmaBufSyncCounters();
		ASSERT_EQ(after.starts - before.starts, 1u) << "CPU write not bracketed by sync start";
		ASSERT_EQ(after.ends - before.ends, 1u) << "CPU write not bracketed by sync end";

		auto fb = vkms().addFramebuffer(*shown);
		ASSERT_TRUE(fb) << fb.error().toString();
		auto lit = display_->showOnPrimary(*fb);
		ASSERT_TRUE(lit) << lit.error().toString();

		auto captured = allocateFrom(allocator_, k1080p);
		ASSERT_TRUE(captured);
		{
			// Clear it, so stale memory that happens to hold the pattern cannot pass.
			auto access = captured->beginCpuAccess(CpuAccessMode::Write);
			ASSERT_TRUE(access);
			std::fill(access->plane(0).begin(), access->plane(0).end(), 0);
		}
		auto target = vkms().addFramebuffer(*captured);
		ASSERT_TRUE(target) << target.error().toString();
		auto done = display_->captureWriteback(*target);
		ASSERT_TRUE(done) << done.error().toString();

		auto read = captured->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(read);
		auto same = verifyTestPattern(*read, captured->layout());
		EXPECT_TRUE(same) << same.error().message;

		// The comparison can fail: read with a stride one cache line short, it must.
		Layout skewed = captured->layout();
		skewed.planes[0].stride -= 64;
		auto wrong = verifyTestPattern(*read, skewed);
		EXPECT_FALSE(wrong) << "a wrong stride went unnoticed";
	}
	// The fixture's display is open in both counts; everything the slice opened is gone.
	EXPECT_EQ(gemHandleCount(vkms()), 0u) << "GEM handles outlived their framebuffers";
	EXPECT_EQ(openFdCount(), fdsBefore) << "a descriptor leaked; open now:" << openFdList()
					    << " before:" << fdsBeforeList;
}

INSTANTIATE_TEST_SUITE_P(All, Scanout, ::testing::ValuesIn(kAllAllocators), paramName);

namespace {

/// What cirrus scans out, from LAB.md: heap, udmabuf and vgem memory it imports, its own
/// dumb buffers and GBM bos on its card.
const std::string kCirrusSources[] = {"system", "cma", "udmabuf", "vgem-dumb", "cirrus-dumb", "cirrus-gbm"};

/// The formats of @plane the test pattern can write, in the pattern's order.
std::vector<uint32_t> patternFormatsOf(const Participant &plane)
{
	std::vector<uint32_t> out;
	for (uint32_t f : {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888})
		if (plane.constraints.formats.containsFormat(f))
			out.push_back(f);
	return out;
}

} // namespace

/// The allocator the parameter names and cirrus as a display, read back by screendump.
/// Everything cirrus-specific is learnt from its plane as hbm probes it: the formats from
/// IN_FORMATS, the size limits; only the oracle (qemu device "cirrus") is picked by name.
class CirrusScanout : public ::testing::TestWithParam<std::string>
{
protected:
	void SetUp() override
	{
		allocator_ = allocatorFor(GetParam());
		const std::string vgem = cardForDriver("vgem");
		if (allocator_.empty() && GetParam() == "vgem-dumb" && !vgem.empty()) {
			// The device is here; hbm leaves it out, and its probe note says so.
			std::string note;
			for (const std::string &n : context()->probeNotes())
				if (n.find(vgem) != std::string::npos)
					note = n;
			GTEST_SKIP() << "hbm makes no dumb buffers on vgem (" << note
				     << "): DRM_CAP_DUMB_BUFFER is EOPNOTSUPP on drivers without KMS "
					"(drivers/gpu/drm/drm_ioctl.c:258), though vgem has CREATE_DUMB "
					"(DRM_GEM_SHMEM_DRIVER_OPS, drivers/gpu/drm/vgem/vgem_drv.c:119)";
		}
		HBM_REQUIRE_DEVICE(!allocator_.empty(), "no " + GetParam() + " allocator");
		warmUp(allocator_);
		auto display = Display::openByDriver("cirrus");
		HBM_REQUIRE_DEVICE(display.ok(), display ? "" : display.error().message);
		display_ = std::move(*display);
		auto primary = planeParticipant(display_->device(), PlaneType::Primary);
		ASSERT_TRUE(primary) << display_->device().path() << " (cirrus) has no primary plane";
		primary_ = *primary;
	}
	std::string allocator_;
	std::unique_ptr<Display> display_;
	Participant primary_;
};

TEST_P(CirrusScanout, ScreendumpEqualsWhatTheCpuWrote)
{
	KmsDevice &cirrus = display_->device();
	const std::vector<uint32_t> formats = patternFormatsOf(primary_);
	ASSERT_FALSE(formats.empty()) << "the primary plane of " << cirrus.path()
				      << " takes no 32-bit RGB format: " << primary_.constraints.formats.toString();
	// Only this allocator: the plane's constraints, narrowed by the test to the parameter.
	Participant plane = primary_;
	plane.constraints.placement.allowedAllocators = {allocator_};
	size_t fdsBefore = openFdCount();
	std::string fdsBeforeList = openFdList();
	// 800 wide: a 3200-byte pitch that cirrus scans out as it is; 1024 wide: 4096 bytes,
	// above its 4088-byte pitch limit, so it converts to 24 bits per pixel while copying
	// into its video memory (drivers/gpu/drm/tiny/cirrus.c:149). Both must show exactly.
	for (const BufferDesc size : {BufferDesc{800, 600, 0}, BufferDesc{1024, 768, 0}}) {
		SCOPED_TRACE(std::to_string(size.width) + "x" + std::to_string(size.height));
		ASSERT_LE(size.width, plane.constraints.maxWidth);
		ASSERT_LE(size.height, plane.constraints.maxHeight);
		auto plan = context()->negotiate({size.width, size.height, formats, UsageScanout | UsageCpuWrite}, {plane});
		ASSERT_TRUE(plan) << plan.error().toString();
		ASSERT_EQ(plan->allocator(), allocator_);
		auto shown = context()->allocate(*plan);
		ASSERT_TRUE(shown) << shown.error().toString();
		DmaBufSyncCounters before = dmaBufSyncCounters();
		{
			auto access = (*shown)->beginCpuAccess(CpuAccessMode::Write);
			ASSERT_TRUE(access) << access.error().toString();
			ASSERT_TRUE(writeTestPattern(*access, (*shown)->layout()));
		}
		DmaBufSyncCounters after = dmaBufSyncCounters();
		ASSERT_EQ(after.starts - before.starts, 1u) << "CPU write not bracketed by sync start";
		ASSERT_EQ(after.ends - before.ends, 1u) << "CPU write not bracketed by sync end";

		auto fb = cirrus.addFramebuffer(**shown);
		ASSERT_TRUE(fb) << fb.error().toString();
		auto lit = display_->showOnPrimary(*fb);
		ASSERT_TRUE(lit) << lit.error().toString();

		auto screen = screendump("cirrus");
		ASSERT_TRUE(screen) << "cannot read the display back: " << screen.error().toString();
		auto read = (*shown)->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(read) << read.error().toString();
		auto same = compareWithScreen(*read, (*shown)->layout(), *screen);
		EXPECT_TRUE(same) << allocator_ << ", " << formatName((*shown)->layout().format) << " stride "
				  << (*shown)->layout().planes[0].stride << ": " << same.error().message;
		// The buffer still holds what the CPU wrote: the screen shows the pattern itself.
		auto intact = verifyTestPattern(*read, (*shown)->layout());
		EXPECT_TRUE(intact) << intact.error().message;

		// The comparison can fail: read with a stride one cache line short, it must.
		Layout skewed = (*shown)->layout();
		skewed.planes[0].stride -= 64;
		EXPECT_FALSE(compareWithScreen(*read, skewed, *screen)) << "a wrong stride went unnoticed";
	}
	EXPECT_EQ(gemHandleCount(cirrus), 0u) << "GEM handles outlived their framebuffers";
	EXPECT_EQ(openFdCount(), fdsBefore) << "a descriptor leaked; open now:" << openFdList()
					    << " before:" << fdsBeforeList;
}

INSTANTIATE_TEST_SUITE_P(All, CirrusScanout, ::testing::ValuesIn(kCirrusSources),
			 [](const ::testing::TestParamInfo<std::string> &param) {
				 std::string name = param.param;
				 std::replace(name.begin(), name.end(), '-', '_');
				 return name;
			 });

/// A system-heap buffer source and vkms as hbm opens it.
class Kms : public VkmsPlanes
{
protected:
	void SetUp() override
	{
		system_ = allocatorFor("system");
		HBM_REQUIRE_DEVICE(!system_.empty(), "no system dma-heap");
		warmUp(system_);
		VkmsPlanes::SetUp();
	}
	std::string system_;
};

TEST_F(Kms, OneGemHandlePerDmaBufReleasedWithLastFramebuffer)
{
	auto buffer = allocateFrom(system_, {640, 480, DRM_FORMAT_XRGB8888});
	auto other = allocateFrom(system_, {640, 480, DRM_FORMAT_XRGB8888});
	ASSERT_TRUE(buffer && other);
	{
		auto a = vkms_->addFramebuffer(*buffer);
		auto b = vkms_->addFramebuffer(*buffer);
		ASSERT_TRUE(a && b);
		EXPECT_NE(a->id(), b->id());
		EXPECT_EQ(gemHandleCount(*vkms_), 1u) << "same dma-buf, two GEM handles";
		// An imported copy of the same dma-buf is still the same GEM object.
		auto planes = buffer->exportPlanes();
		ASSERT_TRUE(planes);
		auto again = Buffer::import({640, 480, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR,
					     {{(*planes)[0].fd.get(), 0, buffer->layout().planes[0].stride}}});
		ASSERT_TRUE(again);
		auto c = vkms_->addFramebuffer(**again);
		ASSERT_TRUE(c);
		EXPECT_EQ(gemHandleCount(*vkms_), 1u) << "a re-imported dma-buf got a second handle";
		auto d = vkms_->addFramebuffer(*other);
		ASSERT_TRUE(d);
		EXPECT_EQ(gemHandleCount(*vkms_), 2u);
	}
	EXPECT_EQ(gemHandleCount(*vkms_), 0u) << "GEM handles outlived their framebuffers";
}

TEST_F(Kms, ModeThatDoesNotExistIsRefusedWithTheModesOffered)
{
	auto buffer = allocateFrom(system_, {1234, 567, DRM_FORMAT_XRGB8888});
	ASSERT_TRUE(buffer);
	auto display = Display::openByDriver("vkms");
	ASSERT_TRUE(display) << display.error().toString();
	auto fb = (*display)->device().addFramebuffer(*buffer);
	ASSERT_TRUE(fb) << fb.error().toString();
	auto lit = (*display)->showOnPrimary(*fb);
	ASSERT_FALSE(lit);
	EXPECT_NE(lit.error().message.find("no 1234x567 mode"), std::string::npos) << lit.error().message;
}

TEST_F(Kms, CpuOnlyMemoryAndUnsupportedFormatsAreRefused)
{
	AllocationOptions cpu;
	cpu.allocator = "memfd";
	cpu.allowCpuOnly = true;
	auto memfd = context()->allocate({64, 64, DRM_FORMAT_XRGB8888}, cpu);
	ASSERT_TRUE(memfd);
	auto refused = vkms_->addFramebuffer(**memfd);
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().code, EINVAL);
	EXPECT_NE(refused.error().message.find("CPU-only memory"), std::string::npos) << refused.error().message;

	// vkms (6.12) scans out no YUV: the refusal names the format, and no handle stays.
	auto nv12 = allocateFrom(system_, {64, 64, DRM_FORMAT_NV12});
	ASSERT_TRUE(nv12);
	auto fb = vkms_->addFramebuffer(*nv12);
	ASSERT_FALSE(fb);
	EXPECT_NE(fb.error().message.find("NV12"), std::string::npos) << fb.error().message;
	EXPECT_EQ(gemHandleCount(*vkms_), 0u);
}

TEST(KmsOpen, UnknownDriverIsNamed)
{
	auto dev = KmsDevice::openByDriver("no-such-driver");
	ASSERT_FALSE(dev);
	EXPECT_EQ(dev.error().code, ENODEV);
	EXPECT_NE(dev.error().message.find("'no-such-driver'"), std::string::npos) << dev.error().message;
}

TEST(KmsOpen, WithoutDrmMasterUnlessAsked)
{
	auto plain = KmsDevice::openByDriver("vkms");
	HBM_REQUIRE_DEVICE(plain.ok(), plain ? "" : plain.error().message);
	EXPECT_FALSE(drmIsMaster((*plain)->fd())) << "open() kept the DRM master its first open took";

	// Nobody holds master now: a program that owns the display may ask for it.
	auto owner = KmsDevice::openByDriver("vkms", {.master = true});
	ASSERT_TRUE(owner) << owner.error().toString();
	EXPECT_TRUE(drmIsMaster((*owner)->fd()));
	EXPECT_FALSE(drmIsMaster((*plain)->fd()));

	// A second owner is refused while the first holds it, and says why.
	auto second = KmsDevice::openByDriver("vkms", {.master = true});
	ASSERT_FALSE(second);
	EXPECT_NE(second.error().message.find("cannot become DRM master of /dev/dri/card"), std::string::npos)
		<< second.error().message;
}

TEST(KmsOpen, FromFdBorrowsTheCallersFileAndLeavesMasterAsItWas)
{
	auto probe = KmsDevice::openByDriver("vkms");
	HBM_REQUIRE_DEVICE(probe.ok(), probe ? "" : probe.error().message);
	const std::string card = (*probe)->path();
	probe->reset();

	// A compositor's fd while another session holds master (or logind revoked it).
	UniqueFd caller(::open(card.c_str(), O_RDWR | O_CLOEXEC));
	ASSERT_TRUE(caller.isValid());
	if (drmIsMaster(caller.get())) {
		ASSERT_EQ(drmDropMaster(caller.get()), 0);
	}
	auto callerPlanes = [&] {
		drmModePlaneRes *res = drmModeGetPlaneResources(caller.get());
		uint32_t count = res ? res->count_planes : 0;
		drmModeFreePlaneResources(res);
		return count;
	};
	const uint32_t overlaysOnly = callerPlanes();
	{
		auto adopted = KmsDevice::fromFd(caller.get());
		ASSERT_TRUE(adopted) << adopted.error().toString();
		EXPECT_NE((*adopted)->fd(), caller.get()) << "borrowed, not taken";
		EXPECT_EQ((*adopted)->path(), card);
		EXPECT_EQ((*adopted)->driverName(), "vkms");
		EXPECT_FALSE(drmIsMaster(caller.get())) << "fromFd made the caller's file DRM master";
		auto planes = (*adopted)->planeParticipants();
		ASSERT_TRUE(planes) << planes.error().toString();
		EXPECT_GT(callerPlanes(), overlaysOnly) << "a duplicate shares the caller's file, client caps too";
		EXPECT_EQ(callerPlanes(), planes->size());
		auto buffer = allocateFrom(allocatorFor("system"), {640, 480, DRM_FORMAT_XRGB8888});
		ASSERT_TRUE(buffer);
		auto fb = (*adopted)->addFramebuffer(*buffer);
		ASSERT_TRUE(fb) << fb.error().toString();
		EXPECT_EQ(gemHandleCount(**adopted), 1u);
	}
	EXPECT_FALSE(drmIsMaster(caller.get()));

	// A caller that is master stays master, while hbm uses its fd and after.
	ASSERT_EQ(drmSetMaster(caller.get()), 0) << strerror(errno);
	{
		auto adopted = KmsDevice::fromFd(caller.get());
		ASSERT_TRUE(adopted) << adopted.error().toString();
		EXPECT_TRUE(drmIsMaster(caller.get()));
	}
	EXPECT_TRUE(drmIsMaster(caller.get())) << "hbm dropped the caller's DRM master";
	EXPECT_EQ(::fcntl(caller.get(), F_GETFD), FD_CLOEXEC) << "the caller's fd must stay open";
}

TEST(KmsOpen, FromFdRefusesARenderNode)
{
	UniqueFd render(::open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC));
	HBM_REQUIRE_DEVICE(render.isValid(), "no /dev/dri/renderD128 (vgem)");
	auto adopted = KmsDevice::fromFd(render.get());
	ASSERT_FALSE(adopted);
	EXPECT_NE(adopted.error().message.find("(/dev/dri/renderD128) is a render node"), std::string::npos)
		<< adopted.error().message;
}
