// SPDX-License-Identifier: MIT
// Byte allocators at the seam: the core lays an image out once and asks for its bytes;
// what a heap gives is checked before anyone sees it, and nothing refused leaks.
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>
#include <gtest/gtest.h>

#include <drm_fourcc.h>

#include "backends/allocator.hpp"
#include "fakes/allocation_request.hpp"

#include "fakes/fake_heap.hpp"
#include "fakes/process_resources.hpp"

using namespace hbm;
using hbm::test::FakeHeap;

namespace {

const int kVerify = ::setenv("HBM_VERIFY_ALLOCATIONS", "1", 1);

constexpr uint64_t kMiB = 1ull << 20;

} // namespace

TEST(ByteAllocator, ImagesAreLaidOutOnceAndGivenTheirBytes)
{
	FakeHeap heap;
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	AllocationRequest request = test::imageRequest(1920, 1080, DRM_FORMAT_NV12, linear);
	auto a = test::allocateChecked(heap, request);
	ASSERT_TRUE(a) << a.error().toString();
	auto expected = linearLayout(DRM_FORMAT_NV12, 1920, 1080);
	ASSERT_TRUE(expected);
	EXPECT_EQ(a->layout, *expected);
	ASSERT_EQ(heap.asked.size(), 1u);
	EXPECT_EQ(heap.asked[0], expected->size) << "the heap is asked for the layout's bytes";
	EXPECT_EQ(a->memories.size(), 1u) << "one descriptor for both planes";
	EXPECT_EQ(a->planeMemory.size(), 2u);
	EXPECT_EQ(a->planeFd(0), a->planeFd(1));
}

// What Allocator::allocate() checks of an image backend holds for a byte allocator by
// construction, so it is not checked again there; the one assumption that rests on what the
// allocator declares (its layout, LINEAR, was asked for) is checked before the heap is asked.
TEST(ByteAllocator, ALayoutThatWasNotAskedForIsRefusedBeforeTheHeapIsAsked)
{
	const uint64_t tiled = I915_FORMAT_MOD_X_TILED;
	FakeHeap heap(false, FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR, tiled}));
	auto a = test::allocateChecked(heap, test::imageRequest(64, 64, DRM_FORMAT_XRGB8888, tiled));
	ASSERT_FALSE(a);
	EXPECT_EQ(a.error().code, EPROTO) << a.error().toString();
	EXPECT_NE(a.error().message.find("modifier LINEAR was not asked for"), std::string::npos) << a.error().message;
	EXPECT_TRUE(heap.asked.empty()) << "the heap was asked for bytes no layout could use";

	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	auto b = test::allocateChecked(heap, test::imageRequest(64, 64, DRM_FORMAT_XRGB8888, linear));
	ASSERT_TRUE(b) << b.error().toString();
	EXPECT_EQ(b->layout.modifier, DRM_FORMAT_MOD_LINEAR);
}

TEST(ByteAllocator, BrokenPromisesNeverReachTheUser)
{
	struct Case {
		const char *why;
		std::function<void(Bytes &)> lie;
		bool deviceImportable = false;
	};
	const Case cases[] = {
		{"it gave 16773120", [](Bytes &b) { b.size -= 4096; }},
		{"offset 100 is not a multiple of 4096", [](Bytes &b) { b.offset = 100; }},
		{"bytes at offset 8192 lie outside its 16777216-byte descriptor", [](Bytes &b) { b.offset = 8192; }},
		{"descriptor of 16777216 bytes, reported 33554432", [](Bytes &b) { b.fdSize *= 2; }},
		{"no descriptor", [](Bytes &b) { b.fd = SharedFd(); }},
		{"not a dma-buf", [](Bytes &) {}, true},
	};
	for (const Case &c : cases) {
		FakeHeap heap(c.deviceImportable);
		heap.lie = c.lie;
		size_t fdsBefore = test::openFdCount();
		auto bytes = heap.allocateBytes({16 * kMiB, 4096});
		ASSERT_FALSE(bytes) << c.why;
		EXPECT_EQ(bytes.error().code, EPROTO) << bytes.error().toString();
		EXPECT_NE(bytes.error().message.find("dma-heap:fake: broke its promise for 16777216 bytes: "),
			  std::string::npos) << bytes.error().message;
		EXPECT_NE(bytes.error().message.find(c.why), std::string::npos) << bytes.error().message;
		EXPECT_EQ(test::openFdCount(), fdsBefore) << c.why << ": the refused bytes leaked";
	}
}

TEST(ByteAllocator, BadRequestsNeverReachTheBackend)
{
	FakeHeap heap;
	const struct {
		ByteRequest request;
		int code;
		const char *why;
	} cases[] = {
		{{0, 4096}, EINVAL, "dma-heap:fake: 0 bytes asked for"},
		{{4096, 3}, EINVAL, "alignment 3 is not a power of two"},
		{{1ull << 63, 4096}, EOVERFLOW, "9223372036854775808 bytes exceed what a descriptor can hold"},
	};
	for (const auto &c : cases) {
		auto bytes = heap.allocateBytes(c.request);
		ASSERT_FALSE(bytes) << c.why;
		EXPECT_EQ(bytes.error().code, c.code) << bytes.error().toString();
		EXPECT_NE(bytes.error().message.find(c.why), std::string::npos) << bytes.error().message;
	}
	EXPECT_TRUE(heap.asked.empty());
}

// BackendHold (what a buffer's storage depends on): released once, the object before its
// owner, and a move hands the duty over.
namespace {

struct HoldLog {
	std::vector<std::string> events;
};

struct LoggedOwner {
	explicit LoggedOwner(HoldLog *l) : log(l) {}
	LoggedOwner(const LoggedOwner &) = delete;
	LoggedOwner &operator=(const LoggedOwner &) = delete;
	~LoggedOwner() { log->events.push_back("owner"); }
	HoldLog *log;
};

void logRelease(void *object, uint64_t value)
{
	static_cast<HoldLog *>(object)->events.push_back("object " + std::to_string(value));
}

} // namespace

TEST(BackendHold, ReleasesTheObjectOnceThenItsOwner)
{
	HoldLog log;
	{
		BackendHold hold(std::make_shared<LoggedOwner>(&log), &log, 7, logRelease);
		EXPECT_TRUE(hold);
		BackendHold moved(std::move(hold));
		EXPECT_FALSE(hold); // NOLINT(bugprone-use-after-move): the moved-from state is the test
		EXPECT_TRUE(moved);
		EXPECT_TRUE(log.events.empty());
	}
	EXPECT_EQ(log.events, (std::vector<std::string>{"object 7", "owner"}));
}

TEST(BackendHold, AssignmentReleasesWhatWasHeld)
{
	HoldLog first, second;
	BackendHold hold(std::make_shared<LoggedOwner>(&first), &first, 1, logRelease);
	hold = BackendHold(std::make_shared<LoggedOwner>(&second), &second, 2, logRelease);
	EXPECT_EQ(first.events, (std::vector<std::string>{"object 1", "owner"}));
	EXPECT_TRUE(second.events.empty());
	hold = BackendHold();
	EXPECT_EQ(second.events, (std::vector<std::string>{"object 2", "owner"}));
	EXPECT_FALSE(hold);
}
