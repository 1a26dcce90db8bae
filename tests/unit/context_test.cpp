// SPDX-License-Identifier: MIT
// The allocator seam with fakes behind it: which allocator is picked, what a refusal
// says, that a backend's broken promise never reaches the user, and that nothing leaks.
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/context.hpp>
#include <hbm/log.hpp>
#include <hbm/participant.hpp>

#include "backends/allocator.hpp"
#include "backends/memfd/memfd.hpp"
#include "c_api/c_api_private.hpp"
#include "context_private.hpp"
#include "base/dma_buf.hpp"
#include "base/string_format.hpp"

#include "fakes/allocation_request.hpp"
#include "fakes/process_resources.hpp"

using namespace hbm;

namespace {

/// A CPU-only allocator whose behaviour each test scripts.
class FakeAllocator final : public Allocator
{
public:
	using Script = std::function<Result<Allocation>(const AllocationRequest &)>;
	FakeAllocator(std::string name, Script script, bool deviceImportable = false)
		: Allocator(makeInfo(std::move(name), deviceImportable)), script_(std::move(script))
	{
	}
	int calls = 0;

private:
	static AllocatorInfo makeInfo(std::string name, bool deviceImportable)
	{
		AllocatorInfo info;
		info.name = std::move(name);
		info.formats = FormatSet({DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12}, {DRM_FORMAT_MOD_LINEAR});
		info.deviceImportable = deviceImportable;
		info.kind = AllocatorKind::Memfd;
		return info;
	}
	Result<void> doAllocate(const AllocationRequest &request, Allocation &out) override
	{
		++calls;
		auto made = script_(request);
		if (!made)
			return made.error();
		out = std::move(*made);
		return {};
	}
	Script script_;
};

/// A real, correct memfd allocation for @request.
Result<Allocation> honest(const AllocationRequest &request)
{
	auto layout = linearLayout(request.format, request.width, request.height, *request.linear);
	if (!layout)
		return layout.error();
	UniqueFd fd(::memfd_create("fake", MFD_CLOEXEC));
	if (::ftruncate(fd.get(), off_t(layout->size)) < 0)
		return Error{errno, "ftruncate"};
	const uint64_t size = layout->size;
	return test::singleFdAllocation(std::move(*layout), SharedFd(std::move(fd)), size);
}

// These tests check the promises the kernel can vouch for too, whoever runs the binary.
const int kVerify = ::setenv("HBM_VERIFY_ALLOCATIONS", "1", 1);

Result<Allocation> outOfMemory(const AllocationRequest &)
{
	return Error{ENOMEM, "no memory left"};
}

AllocationOptions cpuOk()
{
	AllocationOptions o;
	o.allowCpuOnly = true;
	return o;
}

constexpr BufferDesc k64{64, 64, DRM_FORMAT_XRGB8888};

/// A context of honest fake allocators with these names, in this order.
std::shared_ptr<Context> honestContext(std::initializer_list<const char *> names)
{
	std::vector<std::unique_ptr<Allocator>> list;
	for (const char *name : names)
		list.push_back(std::make_unique<FakeAllocator>(name, honest));
	return ContextFactory::create(std::move(list));
}

} // namespace

TEST(Context, FallsBackInOrderAndSaysSo)
{
	std::vector<std::unique_ptr<Allocator>> list;
	list.push_back(std::make_unique<FakeAllocator>("first", outOfMemory));
	list.push_back(std::make_unique<FakeAllocator>("second", honest));
	auto ctx = ContextFactory::create(std::move(list));
	auto buffer = ctx->allocate(k64, cpuOk());
	ASSERT_TRUE(buffer) << buffer.error().toString();
	EXPECT_EQ((*buffer)->origin(), "second");
	EXPECT_FALSE((*buffer)->deviceImportable());
}

TEST(Context, RefusalListsEveryAttempt)
{
	std::vector<std::unique_ptr<Allocator>> list;
	list.push_back(std::make_unique<FakeAllocator>("first", outOfMemory));
	list.push_back(std::make_unique<FakeAllocator>("second", outOfMemory));
	auto ctx = ContextFactory::create(std::move(list));
	size_t before = test::openFdCount();
	auto buffer = ctx->allocate(k64, cpuOk());
	ASSERT_FALSE(buffer);
	EXPECT_EQ(buffer.error().code, ENOMEM);
	const std::string &msg = buffer.error().message;
	EXPECT_NE(msg.find("no allocator could make 64x64 XRGB8888 (XR24)"), std::string::npos) << msg;
	EXPECT_NE(msg.find("first: no memory left"), std::string::npos) << msg;
	EXPECT_NE(msg.find("second: no memory left"), std::string::npos) << msg;
	EXPECT_EQ(test::openFdCount(), before);
}

TEST(Context, CpuOnlyMemoryOnlyWhenAllowed)
{
	auto ctx = honestContext({"cpu"});
	auto refused = ctx->allocate(k64);
	ASSERT_FALSE(refused);
	ASSERT_TRUE(refused.error().refusal) << refused.error().message;
	const Rejection &r = refused.error().refusal->rejections.at(0);
	EXPECT_EQ(r.reason, RejectReason::CpuOnly);
	EXPECT_EQ(r.allocator, "cpu");
	EXPECT_TRUE(ctx->allocate(k64, cpuOk()));
}

TEST(Context, FormatsOutsideTheDeclarationAreNotEvenTried)
{
	auto fake = std::make_unique<FakeAllocator>("rgb-nv12-only", honest);
	FakeAllocator *raw = fake.get();
	std::vector<std::unique_ptr<Allocator>> list;
	list.push_back(std::move(fake));
	auto ctx = ContextFactory::create(std::move(list));
	auto buffer = ctx->allocate({64, 64, DRM_FORMAT_YUYV}, cpuOk());
	ASSERT_FALSE(buffer);
	EXPECT_EQ(raw->calls, 0);
	// The seam's acceptance is the one check (checkCandidate()), refused as data.
	EXPECT_EQ(buffer.error().code, ENOTSUP);
	ASSERT_TRUE(buffer.error().refusal) << buffer.error().message;
	const Rejection &r = buffer.error().refusal->rejections.at(0);
	EXPECT_EQ(r.reason, RejectReason::ModifierNotMade);
	EXPECT_EQ(r.allocator, "rgb-nv12-only");
	EXPECT_EQ(r.format, DRM_FORMAT_YUYV);
	EXPECT_EQ(r.modifier, DRM_FORMAT_MOD_LINEAR);
}

TEST(Context, BrokenPromisesNeverReachTheUser)
{
	struct Case {
		const char *why;
		FakeAllocator::Script script;
		bool deviceImportable = false;
		BufferDesc desc = k64;
	};
	const Case cases[] = {
		{"modifier INVALID was not asked for",
		 [](const AllocationRequest &r) {
			 auto a = honest(r);
			 a->layout.modifier = DRM_FORMAT_MOD_INVALID;
			 return a;
		 }},
		{"lies outside its",
		 [](const AllocationRequest &r) {
			 auto a = honest(r);
			 a->layout.planes[0].offset = 1 << 20;
			 return a;
		 }},
		{"a different image",
		 [](const AllocationRequest &r) {
			 auto a = honest(r);
			 a->layout.width += 1;
			 return a;
		 }},
		{"not a dma-buf", honest, true},
		{"reported 1048576",
		 [](const AllocationRequest &r) {
			 auto a = honest(r);
			 a->memories[0].size = 1 << 20; // claims more than the memfd holds
			 a->layout.planes[0].offset = 65536;
			 return a;
		 }},
		{"descriptors",
		 [](const AllocationRequest &r) {
			 auto a = honest(r);
			 a->memories.push_back(a->memories[0]); // more descriptors than planes
			 return a;
		 }},
		{"plane 0 is placed in descriptor 3 of 1",
		 [](const AllocationRequest &r) {
			 auto a = honest(r);
			 a->planeMemory[0] = 3;
			 return a;
		 }},
		{"2 descriptors, not every one holding a plane",
		 [](const AllocationRequest &r) {
			 auto a = honest(r); // NV12: both planes in descriptor 0, descriptor 1 idle
			 a->memories.push_back(a->memories[0]);
			 return a;
		 },
		 false,
		 {64, 64, DRM_FORMAT_NV12}},
	};
	for (const Case &c : cases) {
		std::vector<std::unique_ptr<Allocator>> list;
		list.push_back(std::make_unique<FakeAllocator>("liar", c.script, c.deviceImportable));
		auto ctx = ContextFactory::create(std::move(list));
		size_t before = test::openFdCount();
		AllocationOptions options = cpuOk();
		options.allocator = "liar";
		auto buffer = ctx->allocate(c.desc, options);
		ASSERT_FALSE(buffer) << c.why;
		EXPECT_EQ(buffer.error().code, EPROTO) << c.why;
		EXPECT_NE(buffer.error().message.find("liar broke its promise"), std::string::npos)
			<< buffer.error().message;
		EXPECT_NE(buffer.error().message.find(c.why), std::string::npos) << buffer.error().message;
		EXPECT_EQ(test::openFdCount(), before) << c.why << ": the refused allocation leaked";
	}
}

TEST(Context, NamedAllocatorAndEnvironmentOverride)
{
	auto ctx = honestContext({"a", "b"});

	AllocationOptions options = cpuOk();
	options.allocator = "b";
	EXPECT_EQ((*ctx->allocate(k64, options))->origin(), "b");

	// HBM_ALLOCATOR is read when a context is made (as Mesa reads its variables at
	// screen creation), not on every allocation: a context made before it was set
	// ignores it.
	::setenv("HBM_ALLOCATOR", "b", 1);
	EXPECT_EQ((*ctx->allocate(k64, cpuOk()))->origin(), "a");
	auto envCtx = honestContext({"a", "b"});
	::unsetenv("HBM_ALLOCATOR");
	auto fromEnv = envCtx->allocate(k64, cpuOk());
	ASSERT_TRUE(fromEnv);
	EXPECT_EQ((*fromEnv)->origin(), "b");

	options.allocator = "nope";
	auto missing = ctx->allocate(k64, options);
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error().code, ENOENT);
	EXPECT_NE(missing.error().message.find("no allocator named 'nope' (here: a, b)"), std::string::npos)
		<< missing.error().message;
}

// Context::allocate() finds a named allocator with sameName() (8 bytes at a time, the
// last 8 overlapping): every length and every byte position must count.
TEST(Context, NamesDifferingInAnyOneByteAreDifferent)
{
	for (size_t n = 0; n <= 40; ++n) {
		std::string a(n, 'x');
		for (size_t i = 0; i < n; ++i)
			a[i] = char('a' + i % 26);
		EXPECT_TRUE(sameName(a, a)) << n;
		EXPECT_TRUE(sameName(a, std::string(a))) << n;
		EXPECT_FALSE(sameName(a, a + "z")) << n;
		for (size_t i = 0; i < n; ++i) {
			std::string b = a;
			b[i] = char(b[i] ^ 0x20);
			EXPECT_FALSE(sameName(a, b)) << "length " << n << ", byte " << i;
		}
	}

	// Through the context: two allocators whose names differ only in their middle, past
	// the first 8 bytes and before the last 8.
	auto ctx = honestContext({"dma-heap:linux,cma-a", "dma-heap:linux.cma-a"});
	AllocationOptions options = cpuOk();
	options.allocator = "dma-heap:linux.cma-a";
	EXPECT_EQ((*ctx->allocate(k64, options))->origin(), "dma-heap:linux.cma-a");
	options.allocator = "dma-heap:linux,cma-a";
	EXPECT_EQ((*ctx->allocate(k64, options))->origin(), "dma-heap:linux,cma-a");
	options.allocator = "dma-heap:linux;cma-a";
	EXPECT_FALSE(ctx->allocate(k64, options));
}

TEST(Context, BadRequestsAreRefusedUpFront)
{
	auto ctx = Context::create();
	ASSERT_TRUE(ctx);
	// The request rule (validateRequest()), refused as data.
	auto expectInvalid = [](const Result<std::shared_ptr<Buffer>> &refused, uint64_t value, uint32_t format) {
		ASSERT_FALSE(refused);
		EXPECT_EQ(refused.error().code, EINVAL);
		ASSERT_TRUE(refused.error().refusal) << refused.error().message;
		const Rejection &r = refused.error().refusal->rejections.at(0);
		EXPECT_EQ(r.reason, RejectReason::InvalidRequest);
		EXPECT_EQ(r.value, value);
		EXPECT_EQ(r.format, format);
	};
	expectInvalid((*ctx)->allocate({0, 1080, DRM_FORMAT_XRGB8888}, cpuOk()), 1080, 0);
	expectInvalid((*ctx)->allocate({70000, 70000, DRM_FORMAT_XRGB8888}, cpuOk()), 70000ull << 32 | 70000, 0);
	expectInvalid((*ctx)->allocate({64, 64, fourcc_code('N', 'O', 'P', 'E')}, cpuOk()), 0,
		      fourcc_code('N', 'O', 'P', 'E'));

	AllocationOptions none = cpuOk();
	none.modifiers.clear();
	auto noModifier = (*ctx)->allocate(k64, none);
	ASSERT_FALSE(noModifier);
	EXPECT_EQ(noModifier.error().code, EINVAL);
	EXPECT_NE(noModifier.error().message.find("no acceptable modifier"), std::string::npos);
}

TEST(Context, MemfdAlwaysThereAndNeedsNoSync)
{
	auto ctx = Context::create();
	ASSERT_TRUE(ctx);
	auto all = (*ctx)->allocators();
	ASSERT_FALSE(all.empty());
	EXPECT_EQ(all.back().name, "memfd") << "memfd must be the last resort";
	EXPECT_FALSE(all.back().deviceImportable);

	AllocationOptions options = cpuOk();
	options.allocator = "memfd";
	auto buffer = (*ctx)->allocate({1920, 1080, DRM_FORMAT_NV12}, options);
	ASSERT_TRUE(buffer) << buffer.error().toString();
	EXPECT_FALSE((*buffer)->deviceImportable());
	EXPECT_EQ((*buffer)->planeCount(), 2u);
	EXPECT_EQ((*buffer)->memoryCount(), 1u);
	DmaBufSyncCounters before = dmaBufSyncCounters();
	{
		auto access = (*buffer)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(access);
		access->plane(1)[0] = 0x80;
	}
	auto read = (*buffer)->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_TRUE(read);
	EXPECT_EQ(read->plane(1)[0], 0x80);
	EXPECT_EQ(dmaBufSyncCounters().starts, before.starts) << "memfd memory needs no DMA_BUF_IOCTL_SYNC";

	auto fence = (*buffer)->exportSyncFile(CpuAccessMode::Read);
	ASSERT_FALSE(fence);
	EXPECT_EQ(fence.error().code, ENOTSUP);
}

// Regression: a late attach used its own copy of the rules, which divided by a zero
// alignment (SIGFPE, the caller dead) while negotiation refused the same participant.
TEST(Context, LateAttachValidatesAlignmentsLikeNegotiation)
{
	auto ctx = honestContext({"cpu"});
	auto buffer = ctx->allocate(k64, cpuOk());
	ASSERT_TRUE(buffer);
	for (uint32_t bad : {0u, 24u}) {
		Participant p = declaredParticipant("zero", FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR}));
		p.constraints.strideAlignment = bad;
		auto refused = (*buffer)->attach(p);
		ASSERT_FALSE(refused);
		EXPECT_EQ(refused.error().code, EINVAL);
		ASSERT_TRUE(refused.error().refusal);
		const Rejection &r = refused.error().refusal->rejections.at(0);
		EXPECT_EQ(r.reason, RejectReason::InvalidConstraint);
		EXPECT_EQ(r.value, bad);
		EXPECT_EQ(r.plane, 0u) << "the stride's alignment";
		EXPECT_EQ(r.setBy, std::vector<ParticipantIdentity>{p.identity});
	}
	EXPECT_TRUE((*buffer)->participants().empty());
}

// A compositor's context: nothing opened or read that it did not name. The defaults say
// nothing, as hbm.h's zeroed struct hbm_context_options does (c-api pins the C side).
TEST(ContextOptions, OpensOnlyWhatIsNamed)
{
	ContextOptions options;
	EXPECT_FALSE(options.probe) << "ContextOptions{} must mean what a zeroed hbm_context_options means";
	EXPECT_FALSE(options.readConfiguration);
	// A configuration file that would fail the context if it were read.
	::setenv("HBM_CONFIG", "/nonexistent/hbm.toml", 1);
	size_t fdsBefore = test::openFdCount();
	{
		auto ctx = Context::create(options);
		::unsetenv("HBM_CONFIG");
		ASSERT_TRUE(ctx) << ctx.error().toString();
		ASSERT_EQ((*ctx)->allocators().size(), 1u);
		EXPECT_EQ((*ctx)->allocators()[0].name, "memfd") << "no heap, udmabuf or DRM device was asked for";
		EXPECT_TRUE((*ctx)->config().participants.empty());
	}
	EXPECT_EQ(test::openFdCount(), fdsBefore);
}

// C's zeroed hbm_allocate_options and C++'s AllocationOptions{} ask the allocator for the
// same usage: rendering and CPU writes (kDefaultUsage).
TEST(AllocationOptions, ZeroUsageMeansTheSameInCAndCpp)
{
	std::vector<uint32_t> seen;
	std::vector<std::unique_ptr<Allocator>> list;
	list.push_back(std::make_unique<FakeAllocator>("recorder", [&](const AllocationRequest &r) {
		seen.push_back(r.usage);
		return honest(r);
	}));
	auto ctx = ContextFactory::create(std::move(list));
	EXPECT_EQ(AllocationOptions{}.usage, 0u);
	ASSERT_TRUE(ctx->allocate(k64, cpuOk()));

	auto *cctx = new hbm_context{ctx, ctx->allocators()};
	hbm_allocate_options c{};
	c.size = sizeof c;
	c.width = 64;
	c.height = 64;
	c.format = DRM_FORMAT_XRGB8888;
	c.allocator = "recorder";
	hbm_buffer *buffer = nullptr;
	// memfd is CPU-only: allowed when named.
	ASSERT_EQ(hbm_buffer_create(cctx, &c, &buffer), 0) << hbm_last_error();
	hbm_buffer_unref(buffer);
	hbm_context_destroy(cctx);
	ASSERT_EQ(seen.size(), 2u);
	EXPECT_EQ(seen[0], kDefaultUsage);
	EXPECT_EQ(seen[1], kDefaultUsage) << "C's zero usage asked for something else than C++'s default";
}

TEST(ContextOptions, BadDevicesAreNamed)
{
	size_t fdsBefore = test::openFdCount();
	UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
	ASSERT_TRUE(null);
	ContextOptions options;
	options.probe = false;
	options.readConfiguration = false;
	options.drmFds = {null.get()};
	auto notDrm = Context::create(options);
	ASSERT_FALSE(notDrm);
	EXPECT_EQ(notDrm.error().code, ENODEV);
	EXPECT_NE(notDrm.error().message.find(stringf("DRM fd %d (/dev/null) is not a DRM device", null.get())), std::string::npos)
		<< notDrm.error().message;

	options.drmFds = {987};
	auto closed = Context::create(options);
	ASSERT_FALSE(closed);
	EXPECT_EQ(closed.error().code, EBADF);
	EXPECT_NE(closed.error().message.find("DRM fd 987"), std::string::npos) << closed.error().message;

	options.drmFds = {};
	options.heaps = {"nope"};
	auto heap = Context::create(options);
	ASSERT_FALSE(heap);
	EXPECT_NE(heap.error().message.find("nope"), std::string::npos) << heap.error().message;
	null.reset();
	EXPECT_EQ(test::openFdCount(), fdsBefore);
}

TEST(LogHandler, RoutesMessagesIntoTheCallersLog)
{
	std::vector<std::string> seen;
	setLogHandler([&](LogLevel level, std::string_view category, const std::string &message) {
		if (level == LogLevel::Debug && category == "context")
			seen.push_back(message);
	});
	ASSERT_TRUE(setLogLevels("context:debug"));
	ContextOptions options;
	options.probe = false;
	options.readConfiguration = false;
	auto ctx = Context::create(options);
	ASSERT_TRUE(ctx);
	setLogHandler({});
	ASSERT_TRUE(setLogLevels("off"));
	ASSERT_FALSE(seen.empty()) << "the handler got nothing";
	EXPECT_NE(seen.back().find("memfd"), std::string::npos) << seen.back();
	EXPECT_FALSE(setLogLevels("context:loud")) << "an unknown level is refused";
}

// A buffer's block (the Buffer, its state and its reference count) is kept by the thread
// that released it, for its next buffer, and freed when that thread ends. The sanitizer
// run's leak check covers the ends: a block kept by a thread that ended, and one released
// while its thread was ending, after the kept block had been freed.
TEST(Context, AReleasedBufferBlockServesTheThreadNextBuffer)
{
	auto ctx = Context::create();
	ASSERT_TRUE(ctx);
	const Buffer *first = nullptr;
	{
		auto a = (*ctx)->allocate(k64, cpuOk());
		ASSERT_TRUE(a) << a.error().toString();
		first = a->get();
	}
	auto b = (*ctx)->allocate(k64, cpuOk());
	ASSERT_TRUE(b) << b.error().toString();
	EXPECT_EQ(b->get(), first) << "the block released just before was not used again";
	auto c = (*ctx)->allocate(k64, cpuOk());
	ASSERT_TRUE(c) << c.error().toString();
	EXPECT_NE(c->get(), b->get()) << "one block served two live buffers";
	EXPECT_EQ((*c)->layout(), (*b)->layout());

	// Released on another thread: kept there, freed when it ends.
	std::thread([buffer = std::move(*c)]() mutable { buffer.reset(); }).join();
	// Released by a thread_local destroyed after the thread's kept block was freed (it was
	// constructed before the slot's release was registered): freed at once.
	Context &context = **ctx;
	std::thread([&context] {
		thread_local std::shared_ptr<Buffer> heldToTheEnd;
		heldToTheEnd.reset();
		{
			auto d = context.allocate(k64, cpuOk()); // released: kept, the release registered
			ASSERT_TRUE(d);
		}
		auto e = context.allocate(k64, cpuOk());
		ASSERT_TRUE(e);
		heldToTheEnd = std::move(*e);
	}).join();
}

// The kept block is poisoned for AddressSanitizer until it is handed out again: keeping it
// does not hide a use of a released buffer from the sanitizer run.
TEST(Context, AReleasedBufferIsStillCaughtWhenUsedUnderAddressSanitizer)
{
#if defined(__SANITIZE_ADDRESS__)
	auto ctx = Context::create();
	ASSERT_TRUE(ctx);
	auto useAfterRelease = [&context = **ctx] {
		auto made = context.allocate(k64, cpuOk());
		const Buffer *dangling = made->get();
		made = Error{EINVAL, "released"}; // the buffer's last reference: its block is kept
		volatile uint32_t width = dangling->layout().width;
		(void)width;
	};
	EXPECT_DEATH(useAfterRelease(), "use-after-poison");
#else
	GTEST_SKIP() << "needs AddressSanitizer (CI's sanitizer run)";
#endif
}
