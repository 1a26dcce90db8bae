// SPDX-License-Identifier: MIT
// The thread-safety the headers promise, exercised by 8 threads at once: a shared
// BufferDescription (attach, detach, plan, allocate — one Buffer for everyone), a shared
// Buffer (accessors, late attach, CPU access, export), a shared Context, and copies of one
// FormatSet changed at once. Built and run under ThreadSanitizer by .ci/run (the
// `thread-safety` suite); it also runs plainly.
//
// It runs on the host: the allocator behind the context is a fake at the seam that hands
// out memfds while declaring them device-importable, so negotiation has something to
// choose. That is a lie the kernel would catch (HBM_VERIFY_ALLOCATIONS), so this binary
// runs without it, and no CPU access touches those buffers: CPU access is exercised on a
// real CPU-only (memfd) buffer.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <gtest/gtest.h>
#include <thread>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/hbm.hpp>

#include "backends/memfd/memfd.hpp"
#include "fakes/importable_memfd.hpp"
#include "context_private.hpp"

using namespace hbm;

namespace {

constexpr int kThreads = 8;
constexpr int kRounds = 200;

std::shared_ptr<Context> makeContext()
{
	::unsetenv("HBM_VERIFY_ALLOCATIONS");
	std::vector<std::unique_ptr<Allocator>> list;
	list.push_back(std::make_unique<test::ImportableMemfd>());
	list.push_back(memfd::MemfdAllocator::create());
	return ContextFactory::create(std::move(list));
}

Participant display(const std::string &name, uint32_t strideAlignment)
{
	Participant p = declaredParticipant(name, FormatSet({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR}));
	p.constraints.strideAlignment = strideAlignment;
	return p;
}

template<typename F>
void onThreads(F body)
{
	std::atomic<bool> go{false};
	std::vector<std::thread> threads;
	for (int t = 0; t < kThreads; ++t)
		threads.emplace_back([&, t] {
			while (!go.load())
				std::this_thread::yield();
			body(t);
		});
	go = true;
	for (std::thread &t : threads)
		t.join();
}

} // namespace

// Copies of one FormatSet (which share their pairs until one changes) changed on several
// threads at once: each gets its own pairs, and no change reaches another copy.
TEST(ThreadSafety, CopiesOfAFormatSetChangedByThreads)
{
	const FormatSet shared({DRM_FORMAT_XRGB8888}, {DRM_FORMAT_MOD_LINEAR});
	std::vector<std::thread> threads;
	std::atomic<int> wrong{0};
	for (uint32_t t = 0; t < uint32_t(kThreads); ++t)
		threads.emplace_back([&, t] {
			for (uint64_t i = 0; i < uint64_t(kRounds); ++i) {
				FormatSet mine = shared;
				mine.add(DRM_FORMAT_XRGB8888, (uint64_t(t + 1) << 32) | i);
				if (!shared.contains(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR) ||
				    shared.modifiers(DRM_FORMAT_XRGB8888).size() != 1 || mine.pairCount() != 2)
					++wrong;
			}
		});
	for (auto &t : threads)
		t.join();
	EXPECT_EQ(wrong.load(), 0);
	EXPECT_EQ(shared.pairCount(), 1u);
}

TEST(ThreadSafety, ADescriptionSharedByThreadsIsAllocatedOnce)
{
	auto ctx = makeContext();
	auto described = ctx->describe({640, 480, {DRM_FORMAT_XRGB8888}});
	ASSERT_TRUE(described) << described.error().toString();
	std::shared_ptr<BufferDescription> d = *described;
	std::atomic<Buffer *> seen{nullptr};
	std::atomic<int> mismatches{0}, failures{0};
	onThreads([&](int t) {
		Participant mine = display("display " + std::to_string(t), 64u << (t % 3));
		for (int i = 0; i < kRounds; ++i) {
			if (i == kRounds / 2) {
				// Half-way, everyone asks for storage: one Buffer, whoever came first.
				auto buffer = d->allocate();
				if (!buffer) {
					++failures;
					continue;
				}
				Buffer *expected = nullptr;
				if (!seen.compare_exchange_strong(expected, buffer->get()) && expected != buffer->get())
					++mismatches;
				// Reading what another thread's allocate() made.
				if ((*buffer)->layout().planes.empty() || (*buffer)->planeFd(0).get() < 0 ||
				    (*buffer)->origin() != "fake-importable")
					++failures;
				continue;
			}
			(void)d->attach(mine); // after storage: checked against it, may be refused
			(void)d->plan().allocator();
			(void)d->participants();
			(void)d->detach(mine.identity); // refused after storage, saying why
		}
	});
	EXPECT_EQ(mismatches.load(), 0) << "two threads got different buffers from one description";
	EXPECT_EQ(failures.load(), 0);
	ASSERT_NE(d->buffer(), nullptr);
	EXPECT_EQ(d->buffer().get(), seen.load());
	auto late = d->detach(display("display 0", 64).identity);
	ASSERT_FALSE(late);
	EXPECT_EQ(late.error().refusal->reason(), RejectReason::StorageExists);
}

TEST(ThreadSafety, ABufferSharedByThreads)
{
	auto ctx = makeContext();
	AllocationOptions cpu;
	cpu.allowCpuOnly = true;
	cpu.allocator = "memfd";
	auto made = ctx->allocate({256, 256, DRM_FORMAT_XRGB8888}, cpu);
	ASSERT_TRUE(made) << made.error().toString();
	std::shared_ptr<Buffer> buffer = *made;
	auto plan = ctx->negotiate({64, 64, {DRM_FORMAT_XRGB8888}}, {});
	ASSERT_TRUE(plan);
	auto importable = ctx->allocate(*plan);
	ASSERT_TRUE(importable);
	std::shared_ptr<Buffer> shared = *importable;
	std::atomic<int> failures{0};
	onThreads([&](int t) {
		for (int i = 0; i < kRounds; ++i) {
			auto access = buffer->beginCpuAccess(t % 2 ? CpuAccessMode::Read : CpuAccessMode::Write);
			if (!access) {
				++failures;
				continue;
			}
			if (t % 2 == 0)
				access->plane(0)[size_t(t) * 4] = uint8_t(i);
			if (buffer->layout().planes[0].stride != 1024 || buffer->width() != 256)
				++failures;
			auto exported = buffer->exportPlanes();
			if (!exported || exported->size() != 1)
				++failures;
			if (buffer->attach(display("cpu reader", 64)))
				++failures; // memory no device can import: refused
			if (!shared->attach(display("reader " + std::to_string(t), 64)))
				++failures;
			(void)shared->participants();
			// Copies of one buffer's descriptor from every thread: the first ones race to
			// make SharedFd's shared count.
			SharedFd copy = shared->planeFd(0);
			if (copy.get() != shared->planeFd(0).get())
				++failures;
		}
	});
	EXPECT_EQ(failures.load(), 0);
	EXPECT_EQ(shared->participants().size(), size_t(kThreads) * kRounds) << "every late attach is kept";
}

TEST(ThreadSafety, AContextSharedByThreads)
{
	auto ctx = makeContext();
	std::atomic<int> failures{0};
	onThreads([&](int t) {
		for (int i = 0; i < kRounds / 4; ++i) {
			auto plan = ctx->negotiate({64, 64, {DRM_FORMAT_XRGB8888}}, {display("d" + std::to_string(t), 256)});
			if (!plan || plan->allocator() != "fake-importable")
				++failures;
			auto buffer = ctx->allocate(*plan);
			if (!buffer)
				++failures;
			if (ctx->allocators().size() != 2)
				++failures;
		}
	});
	EXPECT_EQ(failures.load(), 0);
}

// Leases given back without the pool's lock (an atomic flag per slot) while other threads
// acquire: every lease is exclusive while held, and all come back idle.
TEST(ThreadSafety, APoolSharedByThreads)
{
	auto ctx = makeContext();
	auto made = BufferPool::create(ctx, {64, 64, {DRM_FORMAT_XRGB8888}}, {}, 2);
	ASSERT_TRUE(made) << made.error().toString();
	std::shared_ptr<BufferPool> pool = *made;
	std::atomic<int> failures{0}, leases{0};
	std::mutex heldMutex; // the test's own bookkeeping, not the pool's
	std::set<Buffer *> held;
	onThreads([&](int) {
		for (int i = 0; i < kRounds; ++i) {
			auto lease = pool->acquire();
			if (!lease) {
				if (lease.error().code != EBUSY)
					++failures;
				continue;
			}
			++leases;
			Buffer *mine = lease->buffer().get();
			{
				std::lock_guard lock(heldMutex);
				if (!held.insert(mine).second)
					++failures; // another thread holds a lease of this buffer
			}
			{
				std::lock_guard lock(heldMutex);
				held.erase(mine);
			}
			if (!lease->release())
				++failures;
		}
	});
	EXPECT_EQ(failures.load(), 0);
	EXPECT_GT(leases.load(), 0);
	EXPECT_EQ(pool->leased(), 0u);
	EXPECT_EQ(pool->occupancy().idle, pool->size());
}
