// SPDX-License-Identifier: MIT
// The first vertical slice: a dma-heap buffer, written by the CPU between sync start and
// end, imported into vkms, scanned out on the primary plane and read back through the
// writeback connector, pixel for pixel.
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>
#include <hbm/kms.hpp>
#include <hbm/pattern.hpp>

#include "device_test.hpp"
#include "dma_buf.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

constexpr BufferDesc k1080p{1920, 1080, DRM_FORMAT_XRGB8888};


} // namespace

class Scanout : public ::testing::TestWithParam<std::string>
{
protected:
	void SetUp() override
	{
		heap_ = heapName(GetParam() == "cma");
		HBM_REQUIRE_DEVICE(!heap_.empty(), "no " + GetParam() + " dma-heap");
		auto vkms = KmsDevice::openByDriver("vkms");
		HBM_REQUIRE_DEVICE(vkms.ok(), vkms ? "" : vkms.error().message);
		vkms_ = *vkms;
	}
	std::string heap_;
	std::shared_ptr<KmsDevice> vkms_;
};

TEST_P(Scanout, WritebackCaptureEqualsWhatTheCpuWrote)
{
	size_t fdsBefore = openFdCount();
	std::string fdsBeforeList = openFdList();
	ASSERT_TRUE(vkms_->writebackFormats().containsFormat(DRM_FORMAT_XRGB8888))
		<< "vkms writeback formats: " << vkms_->writebackFormats().toString();
	{
		auto shown = Buffer::allocateFromHeap(k1080p, heap_);
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

		auto fb = vkms_->addFramebuffer(**shown);
		ASSERT_TRUE(fb) << fb.error().toString();
		auto lit = vkms_->showOnPrimary(*fb);
		ASSERT_TRUE(lit) << lit.error().toString();

		auto captured = Buffer::allocateFromHeap(k1080p, heap_);
		ASSERT_TRUE(captured) << captured.error().toString();
		{
			// Clear it, so stale memory that happens to hold the pattern cannot pass.
			auto access = (*captured)->beginCpuAccess(CpuAccessMode::Write);
			ASSERT_TRUE(access);
			std::fill(access->plane(0).begin(), access->plane(0).end(), 0);
		}
		auto target = vkms_->addFramebuffer(**captured);
		ASSERT_TRUE(target) << target.error().toString();
		auto done = vkms_->captureWriteback(*target);
		ASSERT_TRUE(done) << done.error().toString();

		auto read = (*captured)->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(read);
		auto same = verifyTestPattern(*read, (*captured)->layout());
		EXPECT_TRUE(same) << same.error().message;

		// The comparison can fail: read with a stride one cache line short, it must.
		Layout skewed = (*captured)->layout();
		skewed.planes[0].stride -= 64;
		auto wrong = verifyTestPattern(*read, skewed);
		EXPECT_FALSE(wrong) << "a wrong stride went unnoticed";
	}
	// The fixture's vkms fd is open in both counts; everything the slice opened is gone.
	EXPECT_EQ(vkms_->gemHandleCount(), 0u) << "GEM handles outlived their framebuffers";
	EXPECT_EQ(openFdCount(), fdsBefore) << "a descriptor leaked; open now:" << openFdList() << " before:" << fdsBeforeList;
}

INSTANTIATE_TEST_SUITE_P(Heaps, Scanout, ::testing::Values("system", "cma"),
			 heapParamName);

/// A system-heap buffer source and an open vkms device.
class Kms : public ::testing::Test
{
protected:
	void SetUp() override
	{
		heap_ = heapName(false);
		HBM_REQUIRE_DEVICE(!heap_.empty(), "no system dma-heap");
		auto vkms = KmsDevice::openByDriver("vkms");
		HBM_REQUIRE_DEVICE(vkms.ok(), vkms ? "" : vkms.error().message);
		vkms_ = *vkms;
	}

	std::shared_ptr<Buffer> allocate(uint32_t width, uint32_t height)
	{
		auto buffer = Buffer::allocateFromHeap({width, height, DRM_FORMAT_XRGB8888}, heap_);
		EXPECT_TRUE(buffer) << buffer.error().toString();
		return buffer ? *buffer : nullptr;
	}

	std::string heap_;
	std::shared_ptr<KmsDevice> vkms_;
};

TEST_F(Kms, OneGemHandlePerDmaBufReleasedWithLastFramebuffer)
{
	auto buffer = allocate(640, 480);
	auto other = allocate(640, 480);
	ASSERT_TRUE(buffer && other);
	{
		auto a = vkms_->addFramebuffer(*buffer);
		auto b = vkms_->addFramebuffer(*buffer);
		ASSERT_TRUE(a && b);
		EXPECT_NE(a->id(), b->id());
		EXPECT_EQ(vkms_->gemHandleCount(), 1u) << "same dma-buf, two GEM handles";
		auto c = vkms_->addFramebuffer(*other);
		ASSERT_TRUE(c);
		EXPECT_EQ(vkms_->gemHandleCount(), 2u);
	}
	EXPECT_EQ(vkms_->gemHandleCount(), 0u) << "GEM handles outlived their framebuffers";
}

TEST_F(Kms, ModeThatDoesNotExistIsRefusedWithTheModesOffered)
{
	auto buffer = allocate(1234, 567);
	ASSERT_TRUE(buffer);
	auto fb = vkms_->addFramebuffer(*buffer);
	ASSERT_TRUE(fb) << fb.error().toString();
	auto lit = vkms_->showOnPrimary(*fb);
	ASSERT_FALSE(lit);
	EXPECT_NE(lit.error().message.find("no 1234x567 mode"), std::string::npos) << lit.error().message;
}

TEST(KmsOpen, UnknownDriverIsNamed)
{
	auto dev = KmsDevice::openByDriver("no-such-driver");
	ASSERT_FALSE(dev);
	EXPECT_EQ(dev.error().code, ENODEV);
	EXPECT_NE(dev.error().message.find("'no-such-driver'"), std::string::npos) << dev.error().message;
}
