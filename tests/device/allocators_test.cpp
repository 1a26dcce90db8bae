// SPDX-License-Identifier: MIT
// Every allocator on a real kernel: every format it declares, written and read back
// through CPU access, exported and imported again, with nothing left open.
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>
#include <hbm/format.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

uint8_t byteAt(size_t plane, uint32_t y, uint32_t x)
{
	return uint8_t(plane * 67 + y * 13 + x * 7 + 1);
}

/// Rows of plane @i of @layout and the bytes of each that the image uses.
void planeExtent(const Layout &layout, size_t i, uint32_t *rows, uint32_t *rowBytes)
{
	const FormatInfo *info = findFormat(layout.format);
	const PlaneFormat &pf = info->planes[i];
	*rows = (layout.height + pf.vsub - 1) / pf.vsub;
	*rowBytes = ((layout.width + pf.hsub - 1) / pf.hsub + pf.blockWidth - 1) / pf.blockWidth * pf.bytesPerBlock;
}

void fill(CpuAccess &access, const Layout &layout)
{
	for (size_t i = 0; i < layout.planes.size(); ++i) {
		uint32_t rows, rowBytes;
		planeExtent(layout, i, &rows, &rowBytes);
		for (uint32_t y = 0; y < rows; ++y)
			for (uint32_t x = 0; x < rowBytes; ++x)
				access.plane(i)[size_t(y) * layout.planes[i].stride + x] = byteAt(i, y, x);
	}
}

::testing::AssertionResult holds(const CpuAccess &access, const Layout &layout)
{
	for (size_t i = 0; i < layout.planes.size(); ++i) {
		uint32_t rows, rowBytes;
		planeExtent(layout, i, &rows, &rowBytes);
		for (uint32_t y = 0; y < rows; ++y)
			for (uint32_t x = 0; x < rowBytes; ++x)
				if (access.plane(i)[size_t(y) * layout.planes[i].stride + x] != byteAt(i, y, x))
					return ::testing::AssertionFailure()
					       << "plane " << i << " byte (" << x << "," << y << ") differs";
	}
	return ::testing::AssertionSuccess();
}

} // namespace

class Allocators : public ::testing::TestWithParam<std::string>
{
protected:
	void SetUp() override
	{
		name_ = allocatorFor(GetParam());
		HBM_REQUIRE_DEVICE(!name_.empty(), "no " + GetParam() + " allocator");
		info_ = allocatorInfo(name_);
		warmUp(name_);
	}
	std::string name_;
	AllocatorInfo info_;
};

TEST_P(Allocators, EveryDeclaredFormatHoldsItsBytesThroughExportAndImport)
{
	ASSERT_TRUE(info_.deviceImportable);
	size_t fdsBefore = openFdCount();
	size_t mapsBefore = mappingCount();
	size_t formats = 0;
	for (uint32_t format : info_.formats.formats()) {
		if (!info_.formats.contains(format, DRM_FORMAT_MOD_LINEAR))
			continue;
		SCOPED_TRACE(formatName(format));
		++formats;
		auto buffer = allocateFrom(name_, {66, 50, format}, UsageRender | UsageCpuWrite);
		ASSERT_TRUE(buffer);
		const Layout &layout = buffer->layout();
		EXPECT_EQ(layout.modifier, DRM_FORMAT_MOD_LINEAR);
		ASSERT_EQ(layout.planes.size(), findFormat(format)->planeCount);
		if (info_.kind != AllocatorKind::Gbm) {
			// hbm laid it out: exactly the documented linear layout.
			auto expected = linearLayout(format, 66, 50);
			ASSERT_TRUE(expected);
			EXPECT_EQ(layout.planes, expected->planes);
		}
		{
			auto access = buffer->beginCpuAccess(CpuAccessMode::Write);
			ASSERT_TRUE(access) << access.error().toString();
			fill(*access, layout);
		}

		// Another Buffer over the same memory, as a second user would get it.
		auto planes = buffer->exportPlanes();
		ASSERT_TRUE(planes) << planes.error().toString();
		ImportDesc desc{layout.width, layout.height, layout.format, layout.modifier, {}};
		for (const PlaneExport &p : *planes)
			desc.planes.push_back({p.fd.get(), p.offset, p.stride});
		auto imported = Buffer::import(desc);
		ASSERT_TRUE(imported) << imported.error().toString();
		EXPECT_EQ((*imported)->layout().planes, layout.planes);
		auto read = (*imported)->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(read) << read.error().toString();
		EXPECT_TRUE(holds(*read, layout));
	}
	EXPECT_GT(formats, 0u) << name_ << " declared no linear format";
	EXPECT_EQ(openFdCount(), fdsBefore) << "a descriptor leaked; open now:" << openFdList();
	EXPECT_EQ(mappingCount(), mapsBefore) << "a CPU mapping outlived its buffer";
}

TEST_P(Allocators, ManyCyclesLeaveFdCountFlat)
{
	size_t fdsBefore = openFdCount();
	for (int i = 0; i < 200; ++i) {
		auto buffer = allocateFrom(name_, {640, 480, DRM_FORMAT_XRGB8888});
		ASSERT_TRUE(buffer) << "cycle " << i;
		auto access = buffer->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(access);
	}
	EXPECT_EQ(openFdCount(), fdsBefore);
}

INSTANTIATE_TEST_SUITE_P(All, Allocators, ::testing::ValuesIn(kAllAllocators), paramName);

using GbmOnVkms = VkmsPlanes;

// GBM declares what the vkms planes state (IN_FORMATS), without a GBM device at probe.
TEST_F(GbmOnVkms, DeclaresWhatThePlanesSay)
{
	const std::string name = allocatorFor("gbm");
	HBM_REQUIRE_DEVICE(!name.empty(), "no gbm allocator on vkms");
	const FormatSet declared = allocatorInfo(name).formats;
	auto planes = vkms_->planeParticipants();
	ASSERT_TRUE(planes) << planes.error().toString();
	FormatSet stated;
	for (const Participant &p : *planes)
		stated = stated.unite(p.constraints.formats);
	for (const FormatSet::Entry &e : stated.entries()) {
		if (!findFormat(e.format))
			continue; // hbm cannot describe it, so nobody declares it
		for (uint64_t m : e.modifiers)
			EXPECT_TRUE(declared.contains(e.format, m)) << formatName(e.format) << " " << modifierName(m);
	}
	for (uint32_t f : declared.formats())
		EXPECT_TRUE(stated.containsFormat(f)) << formatName(f) << " is declared but no plane takes it";
	std::printf("%s declares %zu (format, modifier) pairs: %s\n", name.c_str(), declared.pairCount(),
		    declared.toString().c_str());
}

TEST(AllocatorsProbe, LabHasEveryKind)
{
	auto ctx = context();
	ASSERT_TRUE(ctx);
	std::string seen;
	for (const AllocatorInfo &a : ctx->allocators())
		seen += a.name + " ";
	for (const std::string &key : kAllAllocators)
		HBM_REQUIRE_DEVICE(!allocatorFor(key).empty(), "no " + key + " allocator (have: " + seen + ")");
}
