// SPDX-License-Identifier: MIT
// The GBM backend declares what the device's KMS planes say, so a vendor's tiled modifier
// negotiates: a fake device stands in for the planes, no GBM device is made.
#include <cerrno>
#include <gtest/gtest.h>

#include "hbm_config.h"

#if HBM_HAVE_GBM
#include <drm_fourcc.h>

#include "negotiation_private.hpp"

#include "backends/gbm/gbm_allocator.hpp"
#include "fakes/allocation_request.hpp"

using namespace hbm;
using hbm::gbm::PlaneFormats;

namespace {

/// A device that is not there: GBM is never made on it.
DrmNode fakeNode(const std::string &path, const std::string &driver)
{
	DrmNode node;
	node.path = path;
	node.driver = driver;
	return node;
}

constexpr uint64_t kLinear = DRM_FORMAT_MOD_LINEAR;
constexpr uint64_t kInvalid = DRM_FORMAT_MOD_INVALID;
constexpr uint64_t kXTiled = I915_FORMAT_MOD_X_TILED;
constexpr uint64_t kYTiled = I915_FORMAT_MOD_Y_TILED;

/// A display whose primary plane scans out XRGB8888 X-tiled or linear.
const std::vector<PlaneFormats> kI915Planes = {
	{31, FormatSet({DRM_FORMAT_XRGB8888}, {kXTiled, kLinear})},
	{71, FormatSet({DRM_FORMAT_ARGB8888}, {kLinear})},
};

AllocatorInfo fakeGbm(const std::vector<PlaneFormats> &planes)
{
	auto made = gbm::GbmAllocator::create(fakeNode("/dev/dri/card9", "i915"), planes);
	EXPECT_TRUE(made) << made.error().toString();
	return made ? (*made)->info() : AllocatorInfo{};
}

/// What a DRM dumb allocator on the same machine declares: linear only.
AllocatorInfo dumb()
{
	AllocatorInfo a;
	a.name = "dumb:i915";
	a.kind = AllocatorKind::DrmDumb;
	a.deviceImportable = true;
	a.formats = FormatSet({DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888}, {kLinear});
	return a;
}

Participant participant(const char *name, FormatSet formats)
{
	return declaredParticipant(name, std::move(formats));
}

} // namespace

TEST(GbmCapabilities, UnionOfThePlanesWithLinearAndImplicitForEachFormat)
{
	const FormatSet caps = gbm::capabilitiesFromPlanes(kI915Planes);
	EXPECT_EQ(caps, FormatSet({DRM_FORMAT_XRGB8888}, {kXTiled, kLinear, kInvalid})
				.unite(FormatSet({DRM_FORMAT_ARGB8888}, {kLinear, kInvalid})))
		<< caps.toString();

	// A modifier only one plane takes is still declared; a format hbm cannot describe is not.
	const std::vector<PlaneFormats> planes = {
		{1, FormatSet({DRM_FORMAT_XRGB8888}, {kYTiled})},
		{2, FormatSet({DRM_FORMAT_XRGB8888, DRM_FORMAT_Y210}, {kLinear})},
	};
	EXPECT_EQ(gbm::capabilitiesFromPlanes(planes), FormatSet({DRM_FORMAT_XRGB8888}, {kYTiled, kLinear, kInvalid}));
}

TEST(GbmCapabilities, RenderOnlyDeviceFallsBackToTheFormatsGbmNames)
{
	EXPECT_EQ(gbm::capabilitiesFromPlanes({}),
		  FormatSet({DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888}, {kLinear, kInvalid}));
}

TEST(GbmCapabilities, TiledModifierChosenWhenEveryParticipantTakesIt)
{
	const std::vector<AllocatorInfo> allocators = {fakeGbm(kI915Planes), dumb()};
	ASSERT_EQ(allocators[0].name, "gbm:i915");
	const Request request{1920, 1080, {DRM_FORMAT_XRGB8888}};
	Participant display = participant("i915 primary plane 31", FormatSet({DRM_FORMAT_XRGB8888}, {kXTiled, kLinear}));
	Participant renderer = participant("renderer", FormatSet({DRM_FORMAT_XRGB8888}, {kXTiled, kLinear}));

	auto tiled = negotiate(request, {display, renderer}, allocators);
	ASSERT_TRUE(tiled) << tiled.error().message;
	EXPECT_EQ(tiled->modifier(), kXTiled);
	EXPECT_EQ(tiled->allocator(), "gbm:i915");

	Participant linearOnly = participant("camera", FormatSet({DRM_FORMAT_XRGB8888}, {kLinear}));
	auto linear = negotiate(request, {display, linearOnly}, allocators);
	ASSERT_TRUE(linear) << linear.error().message;
	EXPECT_EQ(linear->modifier(), kLinear);
	EXPECT_EQ(linear->allocator(), "gbm:i915");
}

TEST(GbmCapabilities, FakeDeviceRefusesAllocationCleanly)
{
	auto made = gbm::GbmAllocator::create(fakeNode("/dev/dri/card9", "i915"), kI915Planes);
	ASSERT_TRUE(made);
	const uint64_t modifier = kXTiled;
	AllocationRequest request = test::imageRequest(64, 64, DRM_FORMAT_XRGB8888, modifier);
	auto allocation = test::allocateChecked(**made, request);
	ASSERT_FALSE(allocation);
	EXPECT_EQ(allocation.error().code, ENODEV);
	EXPECT_NE(allocation.error().message.find("gbm:i915 on /dev/dri/card9"), std::string::npos)
		<< allocation.error().message;
}

TEST(GbmCapabilities, PlanesThatTakeNoKnownFormatLeaveGbmOut)
{
	auto made = gbm::GbmAllocator::create(fakeNode("/dev/dri/card9", "odd"), {{1, FormatSet({DRM_FORMAT_Y210}, {kLinear})}});
	ASSERT_FALSE(made);
	EXPECT_EQ(made.error().code, ENOTSUP);
}
#endif
