// SPDX-License-Identifier: MIT
// The pool recycles released buffers, never one a device still holds, and says why when
// it has nothing to give.
#include <cerrno>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;


TEST(Pool, RecyclesReleasedBuffersButNotOnesDevicesHold)
{
	HBM_REQUIRE_DEVICE(!allocatorFor("system").empty(), "no system dma-heap");
	SwSyncTimeline timeline;
	HBM_REQUIRE_DEVICE(timeline.isValid(), "no sw_sync timeline");
	auto plan = context()->negotiate({1920, 1080, {DRM_FORMAT_XRGB8888}}, {});
	ASSERT_TRUE(plan) << plan.error().message;
	auto pool = BufferPool::create(context(), *plan, 2);
	ASSERT_TRUE(pool);

	Buffer *first = nullptr;
	{
		auto a = (*pool)->acquire();
		ASSERT_TRUE(a) << a.error().toString();
		first = a->get();
		EXPECT_EQ((*pool)->leased(), 1u);
	}
	EXPECT_EQ((*pool)->leased(), 0u);
	auto again = (*pool)->acquire();
	ASSERT_TRUE(again);
	EXPECT_EQ(again->get(), first) << "a released buffer is reused";
	EXPECT_EQ((*pool)->size(), 1u);

	auto second = (*pool)->acquire();
	ASSERT_TRUE(second);
	EXPECT_NE(second->get(), first);
	auto none = (*pool)->acquire();
	ASSERT_FALSE(none);
	EXPECT_EQ(none.error().code, EBUSY);
	EXPECT_NE(none.error().message.find("all 2 buffers of the pool are in use: 2 leased"), std::string::npos)
		<< none.error().message;

	// The display still scans the first buffer out: its out-fence is on the buffer.
	UniqueFd fence = timeline.fenceAt(1);
	ASSERT_TRUE(fence.isValid());
	ASSERT_TRUE((*again)->importSyncFile(fence.get(), CpuAccessMode::Read));
	again->reset();
	auto busy = (*pool)->acquire();
	ASSERT_FALSE(busy) << "handed out a buffer a device still holds";
	EXPECT_NE(busy.error().message.find("1 leased, 1 still held by devices"), std::string::npos) << busy.error().message;

	ASSERT_TRUE(timeline.advance(1));
	auto freed = (*pool)->acquire();
	ASSERT_TRUE(freed) << freed.error().toString();
	EXPECT_EQ(freed->get(), first) << "once the fence signals, the buffer comes back";
}
