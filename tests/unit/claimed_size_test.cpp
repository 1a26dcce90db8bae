// SPDX-License-Identifier: MIT
// A backend that cannot know its descriptor's size (GBM) claims the extent of its planes
// (Allocation::sizesClaimed); the kernel is asked at the first CPU mapping, not at every
// allocation. A claim past the real end is refused there, by name, before any mapping
// could fault; a claim within it maps the real size. The test suites' HBM_VERIFY_ALLOCATIONS
// asks the kernel at allocation already, so the buffers are made at the factory here.
#include <cerrno>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>

#include "buffer_private.hpp"
#include "fakes/process_resources.hpp"

using namespace hbm;

namespace {

std::shared_ptr<Buffer> claimed(uint64_t realBytes, uint64_t claimedBytes)
{
	UniqueFd fd(::memfd_create("hbm-claimed-size-test", MFD_CLOEXEC));
	if (!fd || ::ftruncate(fd.get(), off_t(realBytes)) < 0)
		return nullptr;
	Allocation a;
	a.layout = {DRM_FORMAT_R8, DRM_FORMAT_MOD_LINEAR, 4096, uint32_t(claimedBytes / 4096), {}, claimedBytes};
	a.layout.planes.push_back({0, 4096, claimedBytes});
	a.holdAllPlanesIn(SharedFd(std::move(fd)), claimedBytes);
	a.sizesClaimed = true;
	Provenance provenance;
	provenance.origin = &interned("gbm:test");
	return BufferFactory::fromCheckedAllocation(std::move(a), false, std::move(provenance));
}

} // namespace

TEST(ClaimedSize, PastTheRealEndIsRefusedAtTheFirstMapping)
{
	auto buffer = claimed(4096, 8192);
	ASSERT_TRUE(buffer);
	const size_t mappingsBefore = test::sharedMappingCount();
	auto access = buffer->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_FALSE(access) << "planes past the descriptor's end were mapped";
	EXPECT_EQ(access.error().code, EPROTO);
	EXPECT_NE(access.error().message.find("gbm:test broke its promise: its planes reach byte 8192 of a 4096-byte dma-buf"),
		  std::string::npos)
		<< access.error().message;
	EXPECT_EQ(test::sharedMappingCount(), mappingsBefore) << "a refused access left a mapping";
}

TEST(ClaimedSize, WithinTheRealEndMapsAndIsUsable)
{
	auto buffer = claimed(3 * 4096, 2 * 4096); // a bo rounded up past its planes
	ASSERT_TRUE(buffer);
	{
		auto access = buffer->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(access) << access.error().toString();
		auto plane = access->plane(0);
		ASSERT_EQ(plane.size(), 2u * 4096);
		plane[plane.size() - 1] = 0x5a;
	}
	auto again = buffer->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_TRUE(again) << again.error().toString();
	EXPECT_EQ(again->plane(0)[2 * 4096 - 1], 0x5a);
}
