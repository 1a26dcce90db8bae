// SPDX-License-Identifier: MIT
// Memory whose descriptor was opened read-only (gbm_bo_get_fd()'s dma-bufs, a dma-buf or
// memfd opened O_RDONLY) is mapped read-only: it can be read, and a write access is
// refused by name instead of failing in mmap. On the host a memfd stands in for the
// dma-buf; the lab test (tests/device/cpu_access_test.cpp) does it with real ones.
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>

#include "buffer_private.hpp"
#include "fakes/process_resources.hpp"

using namespace hbm;

TEST(ReadOnlyMemory, CanBeReadNotWritten)
{
	UniqueFd rw(::memfd_create("hbm-read-only-test", MFD_CLOEXEC));
	ASSERT_TRUE(rw.isValid());
	std::vector<uint8_t> pattern(64 * 64 * 4);
	for (size_t i = 0; i < pattern.size(); ++i)
		pattern[i] = uint8_t(i * 7 + 1);
	ASSERT_EQ(::write(rw.get(), pattern.data(), pattern.size()), ssize_t(pattern.size()));
	UniqueFd ro(::open(("/proc/self/fd/" + std::to_string(rw.get())).c_str(), O_RDONLY | O_CLOEXEC));
	ASSERT_TRUE(ro.isValid());

	auto layout = linearLayout(DRM_FORMAT_XRGB8888, 64, 64, {.strideAlignment = 1, .offsetAlignment = 1});
	ASSERT_TRUE(layout);
	Provenance provenance;
	provenance.origin = &interned("import");
	// A memfd, not a dma-buf: its size is what was written.
	Allocation a;
	a.layout = *layout;
	a.holdAllPlanesIn(SharedFd(std::move(ro)), uint64_t(pattern.size()));
	std::shared_ptr<Buffer> buffer = BufferFactory::fromCheckedAllocation(std::move(a), false, provenance);
	ASSERT_TRUE(buffer);

	const size_t fdsBefore = test::openFdCount();
	for (CpuAccessMode mode : {CpuAccessMode::Write, CpuAccessMode::ReadWrite}) {
		auto write = buffer->beginCpuAccess(mode);
		ASSERT_FALSE(write) << "a read-only descriptor was given a write access";
		EXPECT_EQ(write.error().code, EACCES);
		EXPECT_NE(write.error().message.find("the import buffer was imported read-only (its fd is O_RDONLY): it can "
						     "be read, not written"),
			  std::string::npos)
			<< write.error().message;
	}
	{
		auto read = buffer->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(read) << read.error().toString();
		auto plane = read->plane(0);
		ASSERT_EQ(plane.size(), pattern.size());
		EXPECT_TRUE(std::equal(plane.begin(), plane.end(), pattern.begin()));
		// A write access nested in a read is refused the same way, and the read goes on.
		auto nested = buffer->beginCpuAccess(CpuAccessMode::Write);
		EXPECT_FALSE(nested);
		EXPECT_EQ(plane[100], pattern[100]);
	}
	EXPECT_EQ(test::openFdCount(), fdsBefore);
}
