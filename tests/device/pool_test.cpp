// SPDX-License-Identifier: MIT
// The pool recycles released buffers, never one a device still holds, and says why when
// it has nothing to give.
#include <cerrno>
#include <fcntl.h>
#include <optional>
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
	auto pool = BufferPool::create(context(), {1920, 1080, {DRM_FORMAT_XRGB8888}}, {}, 2);
	ASSERT_TRUE(pool) << pool.error().message;

	Buffer *first = nullptr;
	{
		auto a = (*pool)->acquire();
		ASSERT_TRUE(a) << a.error().toString();
		first = a->buffer().get();
		EXPECT_EQ((*pool)->leased(), 1u);
	}
	EXPECT_EQ((*pool)->leased(), 0u);
	auto again = (*pool)->acquire();
	ASSERT_TRUE(again);
	EXPECT_EQ(again->buffer().get(), first) << "a released buffer is reused";
	EXPECT_EQ((*pool)->size(), 1u);

	auto second = (*pool)->acquire();
	ASSERT_TRUE(second);
	EXPECT_NE(second->buffer().get(), first);
	auto none = (*pool)->acquire();
	ASSERT_FALSE(none);
	EXPECT_EQ(none.error().code, EBUSY);
	EXPECT_EQ((*pool)->occupancy(), (BufferPool::Occupancy{2, 0, 0, 0})) << none.error().message;

	// The display still scans the first buffer out: its out-fence is on the buffer.
	UniqueFd fence = timeline.fenceAt(1);
	ASSERT_TRUE(fence.isValid());
	ASSERT_TRUE((*again)->importSyncFile(fence.get(), CpuAccessMode::Read));
	ASSERT_TRUE(again->release());
	auto busy = (*pool)->acquire();
	ASSERT_FALSE(busy) << "handed out a buffer a device still holds";
	EXPECT_EQ(busy.error().code, EBUSY);
	EXPECT_EQ((*pool)->occupancy(), (BufferPool::Occupancy{1, 0, 1, 0})) << busy.error().message;

	ASSERT_TRUE(timeline.advance(1));
	auto freed = (*pool)->acquire();
	ASSERT_TRUE(freed) << freed.error().toString();
	EXPECT_EQ(freed->buffer().get(), first) << "once the fence signals, the buffer comes back";
}

// Regression: the lease used to alias the pool's own reference, so a CPU access begun
// through it kept the pool's reference, not the lease's: dropping the lease handed the
// buffer out again while the CPU was still writing it.
TEST(Pool, ASlotReturnsOnlyWhenEverythingMadeFromTheLeaseIsGone)
{
	HBM_REQUIRE_DEVICE(!allocatorFor("system").empty(), "no system dma-heap");
	auto pool = BufferPool::create(context(), {256, 256, {DRM_FORMAT_XRGB8888}}, {}, 1);
	ASSERT_TRUE(pool) << pool.error().message;

	auto lease = (*pool)->acquire();
	ASSERT_TRUE(lease);
	auto begun = (*lease)->beginCpuAccess(CpuAccessMode::Write);
	ASSERT_TRUE(begun);
	std::optional<CpuAccess> cpu(std::move(*begun));
	ASSERT_TRUE(lease->release());
	EXPECT_FALSE(*lease) << "a released lease holds no buffer";

	auto during = (*pool)->acquire();
	ASSERT_FALSE(during) << "the buffer was handed out while a CPU access of it was open";
	EXPECT_EQ(during.error().code, EBUSY);
	EXPECT_EQ((*pool)->occupancy(), (BufferPool::Occupancy{0, 1, 0, 0})) << during.error().message;

	ASSERT_TRUE(cpu->end());
	cpu.reset();
	auto after = (*pool)->acquire();
	ASSERT_TRUE(after) << after.error().toString();
}

TEST(Pool, MisuseIsRefusedOrHarmless)
{
	HBM_REQUIRE_DEVICE(!allocatorFor("system").empty(), "no system dma-heap");
	EXPECT_FALSE(BufferPool::create(context(), {64, 64, {DRM_FORMAT_XRGB8888}}, {}, 0)) << "a pool of no buffers";
	auto noContext = BufferPool::create(nullptr, {64, 64, {DRM_FORMAT_XRGB8888}}, {}, 2);
	ASSERT_FALSE(noContext);
	EXPECT_EQ(noContext.error().code, EINVAL);

	auto pool = BufferPool::create(context(), {64, 64, {DRM_FORMAT_XRGB8888}}, {}, 2);
	ASSERT_TRUE(pool) << pool.error().message;
	auto lease = (*pool)->acquire();
	ASSERT_TRUE(lease);
	ASSERT_TRUE(lease->release());
	auto twice = lease->release();
	ASSERT_FALSE(twice);
	EXPECT_EQ(twice.error().code, EALREADY);

	// A pool destroyed with a lease out: the lease keeps its buffer usable, then frees it.
	auto kept = (*pool)->acquire();
	ASSERT_TRUE(kept);
	std::weak_ptr<Buffer> watch = kept->buffer();
	pool->reset();
	{
		auto cpu = (*kept)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(cpu) << cpu.error().toString();
	}
	EXPECT_TRUE(kept->release());
	EXPECT_TRUE(watch.expired()) << "the last lease of a destroyed pool frees its buffer";
}
