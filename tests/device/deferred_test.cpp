// SPDX-License-Identifier: MIT
// Deferred allocation (cenalloc) on the real kernel: a buffer is described, devices attach
// and detach, a conflicting attach is refused and changes nothing, allocate() makes the
// storage the plan chose, and a late attach is checked against the storage that exists.
#include <cerrno>
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

class Deferred : public VkmsPlanes
{
protected:
	void SetUp() override
	{
		VkmsPlanes::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		panel_.identity = DeclaredIdentity{"panel without IOMMU"};
		panel_.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
		panel_.constraints.placement.contiguous = true;
		HBM_REQUIRE_DEVICE(!allocatorFor("cma").empty(), "no CMA dma-heap");
	}
	Participant panel_;
};

TEST_F(Deferred, StorageComesFromWhereThePlanSays)
{
	auto described = context()->describe({1920, 1080, {DRM_FORMAT_XRGB8888}, UsageScanout});
	ASSERT_TRUE(described) << described.error().toString();
	auto d = *described;
	EXPECT_EQ(d->buffer(), nullptr) << "a description has no storage";

	ASSERT_TRUE(d->attach(primary_));
	ASSERT_TRUE(d->attach(panel_));
	EXPECT_EQ(d->plan().allocator(), allocatorFor("cma")) << "the no-IOMMU panel moved the plan to CMA";

	// The cursor cannot take a 1080p image: refused, as data, and nothing changes.
	auto refused = d->attach(cursor_);
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().code, ENOTSUP) << "no plan: one errno, whatever stopped it";
	ASSERT_TRUE(refused.error().refusal);
	EXPECT_EQ(refused.error().refusal->reason(), RejectReason::WidthLimit);
	ASSERT_EQ(refused.error().refusal->rejections.size(), 1u);
	EXPECT_EQ(refused.error().refusal->rejections[0].setBy, std::vector<ParticipantIdentity>{cursor_.identity});
	EXPECT_EQ(refused.error().refusal->rejections[0].value, 1920u);
	EXPECT_EQ(refused.error().refusal->subject, "attaching " + cursor_.name() + ": no plan for 1920x1080");
	EXPECT_EQ(d->participants().size(), 2u);
	EXPECT_EQ(d->buffer(), nullptr);
	EXPECT_EQ(d->plan().allocator(), allocatorFor("cma"));

	auto buffer = d->allocate();
	ASSERT_TRUE(buffer) << buffer.error().toString();
	EXPECT_EQ((*buffer)->origin(), allocatorFor("cma"));
	EXPECT_EQ((*buffer)->planeCount(), 1u);
	EXPECT_EQ(d->allocate()->get(), buffer->get()) << "a description is allocated once";
	{
		auto cpu = (*buffer)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(cpu);
		ASSERT_TRUE(writeTestPattern(*cpu, (*buffer)->layout()));
	}
	EXPECT_TRUE(displaysTestPattern(**buffer));
}

TEST_F(Deferred, DetachRelaxesBeforeStorageAndIsRefusedAfter)
{
	auto described = context()->describe({1920, 1080, {DRM_FORMAT_XRGB8888}});
	ASSERT_TRUE(described);
	auto d = *described;
	ASSERT_TRUE(d->attach(primary_));
	ASSERT_TRUE(d->attach(panel_));
	EXPECT_EQ(d->plan().allocator(), allocatorFor("cma"));

	auto never = d->detach(cursor_.identity);
	ASSERT_FALSE(never);
	ASSERT_TRUE(never.error().refusal);
	EXPECT_EQ(never.error().refusal->reason(), RejectReason::NotAttached);

	ASSERT_TRUE(d->detach(panel_.identity));
	EXPECT_EQ(d->participants().size(), 1u);
	EXPECT_EQ(d->plan().allocator(), allocatorFor("system")) << "without the panel, scattered memory will do";

	ASSERT_TRUE(d->allocate());
	auto late = d->detach(primary_.identity);
	ASSERT_FALSE(late);
	ASSERT_TRUE(late.error().refusal);
	EXPECT_EQ(late.error().code, EBUSY);
	EXPECT_EQ(late.error().refusal->reason(), RejectReason::StorageExists);
	EXPECT_EQ(late.error().refusal->rejections.at(0).setBy, std::vector<ParticipantIdentity>{primary_.identity});
}

TEST_F(Deferred, PlanSkipsWhatTheDisplayCannotShow)
{
	auto d = context()->describe({640, 480, {DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}});
	ASSERT_TRUE(d);
	ASSERT_TRUE((*d)->attach(primary_));
	EXPECT_EQ((*d)->plan().format(), DRM_FORMAT_XRGB8888) << "vkms scans out no NV12";
	auto buffer = (*d)->allocate();
	ASSERT_TRUE(buffer) << buffer.error().toString();
	EXPECT_EQ((*buffer)->format(), DRM_FORMAT_XRGB8888);
}

TEST_F(Deferred, LateAttachIsCheckedAgainstTheStorageThatExists)
{
	auto described = context()->describe({1920, 1080, {DRM_FORMAT_XRGB8888}});
	ASSERT_TRUE(described);
	ASSERT_TRUE((*described)->attach(primary_));
	auto made = (*described)->allocate();
	ASSERT_TRUE(made);
	auto b = *made;
	EXPECT_EQ(b->origin(), allocatorFor("system")) << "scattered memory when no one needs contiguous";

	auto contiguous = b->attach(panel_);
	ASSERT_FALSE(contiguous);
	ASSERT_TRUE(contiguous.error().refusal);
	EXPECT_EQ(contiguous.error().code, EINVAL);
	ASSERT_EQ(contiguous.error().refusal->rejections.size(), 1u);
	const Rejection &scattered = contiguous.error().refusal->rejections[0];
	EXPECT_EQ(scattered.reason, RejectReason::NotContiguous);
	EXPECT_EQ(scattered.value, 1u) << "the system heap's pages are scattered, not unknown";
	EXPECT_EQ(scattered.allocator, "") << "the storage is refused, not an allocator";
	EXPECT_EQ(scattered.setBy, std::vector<ParticipantIdentity>{panel_.identity});

	Participant gpu;
	gpu.identity = DeclaredIdentity{"gpu wanting 4096-byte strides"};
	gpu.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	gpu.constraints.strideAlignment = 4096;
	auto aligned = b->attach(gpu);
	ASSERT_FALSE(aligned);
	ASSERT_TRUE(aligned.error().refusal);
	const Rejection &r = aligned.error().refusal->rejections.at(0);
	EXPECT_EQ(r.reason, RejectReason::StrideAlignment);
	EXPECT_EQ(r.value, 7680u);
	EXPECT_EQ(r.limit, 4096u);

	Participant reader;
	reader.identity = DeclaredIdentity{"encoder"};
	reader.constraints.formats = FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	EXPECT_TRUE(b->attach(reader));
	EXPECT_EQ(b->participants().size(), 2u);
}
