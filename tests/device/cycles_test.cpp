// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

// 100 000 allocate / export / import / map / free cycles leave descriptors, mappings and
// memory flat.
TEST(Cycles, HundredThousandLeaveFdsAndRssFlat)
{
	std::string system = allocatorFor("system");
	HBM_REQUIRE_DEVICE(!system.empty(), "no system dma-heap");
	AllocationOptions options;
	options.allocator = system;
	auto cycle = [&]() -> ::testing::AssertionResult {
		auto buffer = context()->allocate({32, 32, DRM_FORMAT_XRGB8888}, options);
		if (!buffer)
			return ::testing::AssertionFailure() << buffer.error().toString();
		auto planes = (*buffer)->exportPlanes();
		if (!planes)
			return ::testing::AssertionFailure() << planes.error().toString();
		auto imported = Buffer::import({32, 32, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR,
						{{(*planes)[0].fd.get(), (*planes)[0].offset, (*planes)[0].stride}}});
		if (!imported)
			return ::testing::AssertionFailure() << imported.error().toString();
		auto access = (*imported)->beginCpuAccess(CpuAccessMode::Write); // and map it
		if (!access)
			return ::testing::AssertionFailure() << access.error().toString();
		access->plane(0)[0] = 1;
		return ::testing::AssertionSuccess();
	};
	// Warm up allocator caches and the heap before measuring.
	for (int i = 0; i < 2000; ++i)
		ASSERT_TRUE(cycle());
	size_t fds = openFdCount();
	size_t maps = mappingCount();
	long rss = rssKb();
	for (int i = 0; i < 100000; ++i)
		ASSERT_TRUE(cycle()) << "cycle " << i;
	EXPECT_EQ(openFdCount(), fds);
	EXPECT_EQ(mappingCount(), maps);
	EXPECT_LT(rssKb() - rss, 1024) << "resident memory grew from " << rss << " kB to " << rssKb() << " kB";
}
