// SPDX-License-Identifier: MIT
// Fences on a buffer, with sw_sync standing in for a device: a write fence makes the
// buffer busy, CPU access waits for it, and the exported sync_file signals with it.
#include <chrono>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <thread>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>

#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

bool signalled(int syncFile)
{
	struct pollfd p = {syncFile, POLLIN, 0};
	return ::poll(&p, 1, 0) == 1;
}

} // namespace

class Fences : public ::testing::Test
{
protected:
	void SetUp() override
	{
		HBM_REQUIRE_DEVICE(timeline_.isValid(), "no sw_sync timeline (CONFIG_SW_SYNC, debugfs)");
		system_ = allocatorFor("system");
		HBM_REQUIRE_DEVICE(!system_.empty(), "no system dma-heap");
		buffer_ = allocateFrom(system_, {256, 256, DRM_FORMAT_XRGB8888});
		ASSERT_TRUE(buffer_);
	}

	UniqueFd fenceAt(uint32_t value)
	{
		UniqueFd fence = timeline_.fenceAt(value);
		EXPECT_TRUE(fence.isValid());
		return fence;
	}
	void advance(uint32_t by) { ASSERT_TRUE(timeline_.advance(by)); }

	SwSyncTimeline timeline_;
	std::string system_;
	std::shared_ptr<Buffer> buffer_;
};

TEST_F(Fences, ImportedWriteFenceMakesTheBufferBusyUntilItSignals)
{
	auto idle = buffer_->waitIdle(CpuAccessMode::Read, 0);
	ASSERT_TRUE(idle);
	EXPECT_TRUE(*idle) << "a fresh buffer is idle";

	UniqueFd fence = fenceAt(1);
	ASSERT_TRUE(buffer_->importSyncFile(fence.get(), CpuAccessMode::Write));
	auto busy = buffer_->waitIdle(CpuAccessMode::Read, 20);
	ASSERT_TRUE(busy);
	EXPECT_FALSE(*busy) << "readers must wait for a pending writer";

	auto exported = buffer_->exportSyncFile(CpuAccessMode::Read);
	ASSERT_TRUE(exported) << exported.error().toString();
	EXPECT_FALSE(signalled(exported->get()));

	advance(1);
	auto done = buffer_->waitIdle(CpuAccessMode::Read, 1000);
	ASSERT_TRUE(done);
	EXPECT_TRUE(*done);
	EXPECT_TRUE(signalled(exported->get()));
}

TEST_F(Fences, ReadFenceBlocksWritersNotReaders)
{
	UniqueFd fence = fenceAt(1);
	ASSERT_TRUE(buffer_->importSyncFile(fence.get(), CpuAccessMode::Read));
	EXPECT_TRUE(*buffer_->waitIdle(CpuAccessMode::Read, 0)) << "a reading device does not block readers";
	EXPECT_FALSE(*buffer_->waitIdle(CpuAccessMode::Write, 20)) << "it blocks writers";
	advance(1);
	EXPECT_TRUE(*buffer_->waitIdle(CpuAccessMode::Write, 1000));
}

TEST_F(Fences, CpuAccessWaitsForThePendingWriter)
{
	UniqueFd fence = fenceAt(1);
	ASSERT_TRUE(buffer_->importSyncFile(fence.get(), CpuAccessMode::Write));
	auto start = std::chrono::steady_clock::now();
	std::thread device([this] {
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		advance(1);
	});
	auto access = buffer_->beginCpuAccess(CpuAccessMode::Read);
	auto waited = std::chrono::steady_clock::now() - start;
	device.join();
	ASSERT_TRUE(access) << access.error().toString();
	EXPECT_GE(waited, std::chrono::milliseconds(150)) << "sync start did not wait for the write fence";
}
