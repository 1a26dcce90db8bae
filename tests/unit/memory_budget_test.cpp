// SPDX-License-Identifier: MIT
// The allocator seam's memory budget: a request that cannot fit is refused with a sentence
// naming the size, the limit and where that number comes from — never left to the OOM
// killer. The decision is a pure function of /proc/meminfo's numbers, tested with fakes.
#include <cerrno>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "backends/allocator.hpp"
#include "fakes/allocation_request.hpp"
#include "fakes/fake_heap.hpp"
#include "fakes/process_resources.hpp"
#include "base/system_memory.hpp"

using namespace hbm;

namespace {

constexpr uint64_t kMiB = 1ull << 20;

AllocatorInfo allocator(const char *name, MemoryCommit commit, uint64_t maxSize = 0, const char *reason = "")
{
	AllocatorInfo info;
	info.name = name;
	info.memoryCommit = commit;
	info.maxSize = maxSize;
	info.maxSizeReason = reason;
	return info;
}

// The lab guest: 1 GiB of RAM less what the kernel keeps.
const MemoryFacts kGuest{996 * kMiB, 900 * kMiB};

} // namespace

TEST(MemoryBudget, MeminfoFieldsAreReadInBytes)
{
	const char *meminfo = "MemTotal:        1020532 kB\n"
			      "MemFree:         1001136 kB\n"
			      "MemAvailable:     995856 kB\n"
			      "CmaTotal:          65536 kB\n";
	EXPECT_EQ(meminfoBytesFrom(meminfo, "MemTotal"), 1020532ull * 1024);
	EXPECT_EQ(meminfoBytesFrom(meminfo, "MemAvailable"), 995856ull * 1024);
	EXPECT_EQ(meminfoBytesFrom(meminfo, "CmaTotal"), 64 * kMiB);
	EXPECT_EQ(meminfoBytesFrom(meminfo, "Mem"), 0u) << "a prefix is not a field";
	EXPECT_EQ(meminfoBytesFrom(meminfo, "CmaFree"), 0u);
	EXPECT_GT(meminfoBytes("MemTotal"), 0u) << "this machine's /proc/meminfo";
}

namespace {

/// The one rejection of a memory shortfall, as data: what was asked and what can be given.
void expectOutOfMemory(const std::optional<Refusal> &refusal, const std::string &allocator, uint64_t asked,
		       uint64_t limit)
{
	ASSERT_TRUE(refusal) << asked << " bytes were not refused";
	ASSERT_EQ(refusal->rejections.size(), 1u);
	const Rejection &r = refusal->rejections[0];
	EXPECT_EQ(r.reason, RejectReason::OutOfMemory);
	EXPECT_EQ(r.allocator, allocator);
	EXPECT_EQ(r.value, asked);
	EXPECT_EQ(r.limit, limit);
}

} // namespace

TEST(MemoryBudget, MemoryTakenAtAllocationMustBeAvailableNow)
{
	const AllocatorInfo system = allocator("dma-heap:system", MemoryCommit::AtAllocation);
	EXPECT_FALSE(memoryShortfall(800 * kMiB, system, kGuest));
	expectOutOfMemory(memoryShortfall(950 * kMiB, system, kGuest), "dma-heap:system", 950 * kMiB, 900 * kMiB);
	expectOutOfMemory(memoryShortfall(1024 * kMiB, system, kGuest), "dma-heap:system", 1024 * kMiB, 996 * kMiB);
	EXPECT_FALSE(memoryShortfall(950 * kMiB, system, {996 * kMiB, 0})) << "MemAvailable not read: RAM only";
}

TEST(MemoryBudget, TheAllocatorsOwnLimitComesFirstAndSaysWhereItComesFrom)
{
	const AllocatorInfo udmabuf = allocator("udmabuf", MemoryCommit::AtAllocation, 64 * kMiB,
						"its size_limit_mb, /sys/module/udmabuf/parameters/size_limit_mb");
	auto refused = memoryShortfall(1024 * kMiB, udmabuf, kGuest);
	expectOutOfMemory(refused, "udmabuf", 1024 * kMiB, 64 * kMiB); // its fix names the limit: refusal_test
	EXPECT_FALSE(memoryShortfall(64 * kMiB, udmabuf, kGuest));
	expectOutOfMemory(memoryShortfall(64 * kMiB + 1, udmabuf, kGuest), "udmabuf", 64 * kMiB + 1, 64 * kMiB);
}

TEST(MemoryBudget, ReservedMemoryIsBoundedByItsAreaNotByWhatIsAvailable)
{
	const AllocatorInfo cma = allocator("dma-heap:reserved", MemoryCommit::Reserved, 64 * kMiB, "all of its CMA area");
	EXPECT_FALSE(memoryShortfall(48 * kMiB, cma, {996 * kMiB, 16 * kMiB}))
		<< "CMA pages are reserved: little MemAvailable does not matter, the kernel refuses cleanly";
	expectOutOfMemory(memoryShortfall(128 * kMiB, cma, kGuest), "dma-heap:reserved", 128 * kMiB, 64 * kMiB);
}

TEST(MemoryBudget, MemoryTakenAtFirstUseIsBoundedByTheRamOnly)
{
	const AllocatorInfo memfd = allocator("memfd", MemoryCommit::OnFirstUse);
	EXPECT_FALSE(memoryShortfall(950 * kMiB, memfd, kGuest)) << "pages come at first use: promised nothing more";
	expectOutOfMemory(memoryShortfall(2048 * kMiB, memfd, kGuest), "memfd", 2048 * kMiB, 996 * kMiB);
	EXPECT_FALSE(memoryShortfall(2048 * kMiB, memfd, {})) << "nothing known, nothing refused";
}

// The seam applies the budget before a byte allocator is asked.
TEST(MemoryBudget, TheSeamRefusesMoreThanTheRamBeforeTheHeapIsAsked)
{
	const uint64_t ram = meminfoBytes("MemTotal");
	ASSERT_GT(ram, 0u);
	for (MemoryCommit commit : {MemoryCommit::AtAllocation, MemoryCommit::OnFirstUse}) {
		test::FakeHeap heap;
		heap.commits(commit);
		const size_t fdsBefore = test::openFdCount();
		auto bytes = heap.allocateBytes({2 * ram, 4096});
		ASSERT_FALSE(bytes) << "twice the RAM was given";
		EXPECT_EQ(bytes.error().code, ENOMEM) << bytes.error().toString();
		ASSERT_TRUE(bytes.error().refusal) << bytes.error().message;
		expectOutOfMemory(*bytes.error().refusal, "dma-heap:fake", 2 * ram, ram);
		EXPECT_TRUE(heap.asked.empty()) << "the heap was asked for " << heap.asked[0] << " bytes";
		EXPECT_EQ(test::openFdCount(), fdsBefore);
		EXPECT_TRUE(heap.allocateBytes({4096, 4096})) << "a normal request still works";
	}
}

namespace {

/// An image allocator whose pages come at first use (as dumb and GBM buffers of vkms):
/// it makes a sparse memfd of @fdSize bytes for any image, as a driver that pads hugely.
class LazyImageAllocator final : public Allocator
{
public:
	explicit LazyImageAllocator(uint64_t fdSize) : Allocator(makeInfo()), fdSize_(fdSize) {}

private:
	static AllocatorInfo makeInfo()
	{
		AllocatorInfo info;
		info.name = "dumb:lazy";
		info.formats = linearFormats();
		return info;
	}
	Result<void> doAllocate(const AllocationRequest &request, Allocation &out) override
	{
		auto layout = linearLayout(request.format, request.width, request.height, *request.linear);
		UniqueFd fd(::memfd_create("lazy-image", MFD_CLOEXEC));
		if (!layout || !fd || ::ftruncate(fd.get(), off_t(fdSize_)) < 0)
			return Error{EIO, "setting up"};
		out.layout = *layout;
		out.holdAllPlanesIn(SharedFd(std::move(fd)), fdSize_);
		return {};
	}
	uint64_t fdSize_;
};

} // namespace

// An image allocator lays out itself: its real size is weighed once it is made, before
// anyone can touch its pages, and the storage is let go.
TEST(MemoryBudget, AnImageAllocatorsRealSizeIsWeighed)
{
	const uint64_t ram = meminfoBytes("MemTotal");
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	const size_t fdsBefore = test::openFdCount();
	LazyImageAllocator huge(2 * ram);
	auto refused = test::allocateChecked(huge, test::imageRequest(64, 64, DRM_FORMAT_XRGB8888, linear));
	ASSERT_FALSE(refused) << "an image of twice the RAM was handed out";
	EXPECT_EQ(refused.error().code, ENOMEM);
	ASSERT_TRUE(refused.error().refusal) << refused.error().message;
	expectOutOfMemory(*refused.error().refusal, "dumb:lazy", 2 * ram, ram);
	EXPECT_EQ(test::openFdCount(), fdsBefore);
	LazyImageAllocator normal(64 * 64 * 4);
	EXPECT_TRUE(test::allocateChecked(normal, test::imageRequest(64, 64, DRM_FORMAT_XRGB8888, linear)));
}
