// SPDX-License-Identifier: MIT
// The machine running out: RAM (a request that cannot fit is refused before the kernel is
// asked, never left to the OOM killer) and descriptors (RLIMIT_NOFILE). Each refusal is an
// error naming the step, nothing is left behind, and everything works again once memory or
// descriptors are back. CMA exhaustion is tests/device/cma_test.cpp.
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>
#include <hbm/hbm.h>
#include <hbm/share.hpp>

#include "backends/udmabuf/udmabuf_allocator.hpp"
#include "device_test.hpp"
#include "base/string_format.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint32_t kRowBytes = 4096 * 4; // a 4096-pixel XRGB8888 row

uint64_t meminfo(const char *field)
{
	const long kb = meminfoKb(field);
	return kb > 0 ? uint64_t(kb) * 1024 : 0;
}

/// A 4096-pixel-wide XRGB8888 image of at least @bytes.
BufferDesc imageOf(uint64_t bytes)
{
	return {4096, uint32_t((bytes + kRowBytes - 1) / kRowBytes), DRM_FORMAT_XRGB8888};
}

/// Runs @check in a child that the OOM killer prefers (oom_score_adj 1000): should hbm
/// ever again hand the kernel a request that cannot fit, the child is killed (SIGKILL),
/// not the test binary. @check returns "" when all is well, else what went wrong.
[[noreturn]] void inChildTheOomKillerPrefers(const std::function<std::string()> &check)
{
	std::ofstream("/proc/self/oom_score_adj") << 1000;
	const std::string failure = check();
	std::fprintf(stderr, "%s\n", failure.empty() ? "survived" : failure.c_str());
	std::fflush(nullptr);
	std::_Exit(failure.empty() ? 0 : 1);
}

#define EXPECT_REFUSED_WITHOUT_THE_OOM_KILLER(check) \
	EXPECT_EXIT(inChildTheOomKillerPrefers(check), ::testing::ExitedWithCode(0), "survived")

/// "" if @error is ENOMEM with a sentence holding @why, else what is wrong. The sentence
/// is printed: the lab log keeps the numbers.
std::string refusedFor(int code, const std::string &message, const std::string &why)
{
	std::printf("refused: %s\n", message.c_str());
	if (code != ENOMEM)
		return "not ENOMEM but " + std::to_string(code) + ": " + message;
	if (message.find(why) == std::string::npos)
		return "the refusal does not say \"" + why + "\": " + message;
	return {};
}

template<typename T>
std::string refusedFor(const Result<T> &result, const std::string &why)
{
	if (result)
		return "allocated; expected a refusal saying \"" + why + "\"";
	if (!result.error().refusal || result.error().refusal->reason() != RejectReason::OutOfMemory)
		return "not refused as OutOfMemory: " + result.error().message;
	return refusedFor(result.error().code, result.error().message, why);
}

/// Allocates a quarter of the RAM from the system heap and keeps it while alive, so that
/// MemAvailable + 64 MiB is below the RAM and only MemAvailable refuses it.
std::shared_ptr<Buffer> holdAQuarterOfTheRam()
{
	AllocationOptions options;
	options.allocator = allocatorFor("system");
	auto held = context()->allocate(imageOf(meminfo("MemTotal") / 4), options);
	return held ? *held : nullptr;
}

/// MemAvailable + 64 MiB, checked to lie below the RAM; 0 (with a message) otherwise.
uint64_t aboveWhatIsAvailable()
{
	const uint64_t size = meminfo("MemAvailable") + 64 * kMiB;
	std::printf("MemTotal %llu kB, MemAvailable %llu kB: asking for %llu MiB\n",
		    (unsigned long long)meminfo("MemTotal") / 1024, (unsigned long long)meminfo("MemAvailable") / 1024,
		    (unsigned long long)size / kMiB);
	return size < meminfo("MemTotal") ? size : 0;
}

} // namespace

/// Tests that start from the system dma-heap.
class WithSystemHeap : public ::testing::Test
{
protected:
	void SetUp() override
	{
		system_ = allocatorFor("system");
		HBM_REQUIRE_DEVICE(!system_.empty(), "no system dma-heap");
	}
	std::string system_;
};

class OutOfMemory : public WithSystemHeap
{
protected:
	void SetUp() override
	{
		WithSystemHeap::SetUp();
		if (IsSkipped() || HasFailure())
			return;
		HBM_REQUIRE_DEVICE(meminfo("MemTotal") <= 2048 * kMiB,
				   "a machine of more than 2 GiB (the lab guest has 1 GiB): 16384x16384 fits");
		GTEST_FLAG_SET(death_test_style, "threadsafe");
	}
};

// `hbm alloc 16384x16384 XRGB8888` (1 GiB) on the 1 GiB guest: the system heap allocated
// until the OOM killer SIGKILLed the process (issue 8).
TEST_F(OutOfMemory, SystemHeapRefusesWhatCannotFit)
{
	EXPECT_REFUSED_WITHOUT_THE_OOM_KILLER([&]() -> std::string {
		const size_t fdsBefore = openFdCount();
		AllocationOptions options;
		options.allocator = system_;
		if (auto f = refusedFor(context()->allocate({16384, 16384, DRM_FORMAT_XRGB8888}, options),
					"dma-heap:system: 1024 MiB asked for, more than the ");
		    !f.empty())
			return f;
		if (auto f = refusedFor(context()->allocate({16384, 16384, DRM_FORMAT_XRGB8888}, options), "(MemTotal in /proc/meminfo)");
		    !f.empty())
			return f;
		// What `hbm alloc` does: negotiate (the system heap ranks first), allocate the plan.
		auto plan = context()->negotiate({16384, 16384, {DRM_FORMAT_XRGB8888}}, {});
		if (!plan)
			return "no plan: " + plan.error().toString();
		if (auto f = refusedFor(context()->allocate(*plan), "this machine's RAM (MemTotal in /proc/meminfo)"); !f.empty())
			return f;

		auto held = holdAQuarterOfTheRam();
		if (!held)
			return "cannot hold a quarter of the RAM";
		const uint64_t size = aboveWhatIsAvailable();
		if (!size)
			return "MemAvailable + 64 MiB is not below the RAM";
		if (auto f = refusedFor(context()->allocate(imageOf(size), options),
					"available now (MemAvailable in /proc/meminfo): dma-heap:system takes its pages at "
					"allocation, and asking the kernel would leave this process to the OOM killer");
		    !f.empty())
			return f;
		held.reset();
		if (openFdCount() != fdsBefore)
			return "descriptors left open:" + openFdList();
		auto normal = context()->allocate({1920, 1080, DRM_FORMAT_XRGB8888}, options);
		if (!normal)
			return "a normal allocation failed afterwards: " + normal.error().toString();
		auto write = (*normal)->beginCpuAccess(CpuAccessMode::Write);
		if (!write)
			return write.error().toString();
		write->plane(0)[0] = 1;
		return {};
	});
}

TEST_F(OutOfMemory, UdmabufRefusesWhatCannotFit)
{
	const std::string udmabuf = allocatorFor("udmabuf");
	HBM_REQUIRE_DEVICE(!udmabuf.empty(), "no udmabuf");
	EXPECT_REFUSED_WITHOUT_THE_OOM_KILLER([&]() -> std::string {
		const size_t fdsBefore = openFdCount();
		AllocationOptions options;
		options.allocator = udmabuf;
		if (auto f = refusedFor(context()->allocate({16384, 16384, DRM_FORMAT_XRGB8888}, options),
					"udmabuf: 1024 MiB asked for, more than the 64 MiB it can give; to fix: ask for at "
					"most 64 MiB; the limit is its size_limit_mb in /sys/module/udmabuf/parameters");
		    !f.empty())
			return f;

		// With the driver's limit raised (root may: the parameter is 0644), MemAvailable
		// is what stands between the request and the OOM killer: UDMABUF_CREATE pins
		// every page.
		const char *limitPath = "/sys/module/udmabuf/parameters/size_limit_mb";
		std::string savedLimit;
		std::ifstream(limitPath) >> savedLimit;
		std::ofstream(limitPath) << 4096;
		std::shared_ptr<void> restore(nullptr, [&](void *) { std::ofstream(limitPath) << savedLimit; });
		auto raised = udmabuf::UdmabufAllocator::create("/dev/udmabuf");
		if (!raised)
			return raised.error().toString();
		if ((*raised)->info().maxSize != 4096 * kMiB)
			return "size_limit_mb was not raised";
		auto held = holdAQuarterOfTheRam();
		if (!held)
			return "cannot hold a quarter of the RAM";
		const uint64_t size = aboveWhatIsAvailable();
		if (!size)
			return "MemAvailable + 64 MiB is not below the RAM";
		if (auto f = refusedFor((*raised)->allocateBytes({size, 4096}),
					"udmabuf: " + byteCount(size) + " asked for, more than the ");
		    !f.empty())
			return f;
		if (auto f = refusedFor((*raised)->allocateBytes({size, 4096}), "(MemAvailable in /proc/meminfo)");
		    !f.empty())
			return f;
		held.reset();
		raised->reset();
		if (openFdCount() != fdsBefore)
			return "descriptors left open:" + openFdList();
		if (auto normal = context()->allocate({1920, 1080, DRM_FORMAT_XRGB8888}, options); !normal)
			return "a normal allocation failed afterwards: " + normal.error().toString();
		return {};
	});
}

TEST_F(OutOfMemory, TheCAbiRefusesWhatCannotFit)
{
	EXPECT_REFUSED_WITHOUT_THE_OOM_KILLER([&]() -> std::string {
		struct hbm_context *ctx = nullptr;
		if (int ret = hbm_context_create(&ctx); ret < 0)
			return std::string("hbm_context_create: ") + hbm_last_error();
		std::shared_ptr<hbm_context> owned(ctx, hbm_context_destroy);
		const size_t fdsBefore = openFdCount();
		struct hbm_buffer *buffer = nullptr;
		auto allocate = [&](uint32_t width, uint32_t height) {
			hbm_allocate_options options{};
			options.size = sizeof(options);
			options.width = width;
			options.height = height;
			options.format = DRM_FORMAT_XRGB8888;
			options.allocator = "dma-heap:system";
			return hbm_buffer_create(ctx, &options, &buffer);
		};
		int ret = allocate(16384, 16384);
		if (ret >= 0)
			return "hbm_buffer_create gave 1 GiB";
		if (hbm_last_reason() != HBM_REASON_OUT_OF_MEMORY)
			return std::string("not HBM_REASON_OUT_OF_MEMORY: ") + hbm_last_error();
		if (auto f = refusedFor(-ret, hbm_last_error(), "1024 MiB asked for, more than the "); !f.empty())
			return f;

		auto held = holdAQuarterOfTheRam();
		const uint64_t size = aboveWhatIsAvailable();
		if (!held || !size)
			return "cannot set up MemAvailable + 64 MiB below the RAM";
		ret = allocate(4096, imageOf(size).height);
		if (ret >= 0)
			return "hbm_buffer_create gave more than MemAvailable";
		if (auto f = refusedFor(-ret, hbm_last_error(), "(MemAvailable in /proc/meminfo)"); !f.empty())
			return f;
		held.reset();
		if (openFdCount() != fdsBefore)
			return "descriptors left open:" + openFdList();
		ret = allocate(1920, 1080);
		if (ret < 0)
			return std::string("a normal allocation failed afterwards: ") + hbm_last_error();
		hbm_buffer_unref(buffer);
		return {};
	});
}

namespace {

bool isOpen(int fd)
{
	return ::fcntl(fd, F_GETFD) >= 0;
}

/// Lowers RLIMIT_NOFILE so that exactly @spare more descriptors can be opened, and
/// restores it when destroyed (also when an assertion returns early).
class FdLimit
{
public:
	explicit FdLimit(int spare)
	{
		::getrlimit(RLIMIT_NOFILE, &saved_);
		// New descriptors take the lowest free numbers below the limit.
		rlim_t limit = 0;
		for (int free = 0; free < spare || isOpen(int(limit)); ++limit)
			free += !isOpen(int(limit));
		struct rlimit tight = saved_;
		tight.rlim_cur = limit;
		ok_ = ::setrlimit(RLIMIT_NOFILE, &tight) == 0;
	}
	~FdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
	bool ok() const { return ok_; }

private:
	struct rlimit saved_;
	bool ok_ = false;
};

/// What @step returns when run with only @spare descriptors left to open.
template<typename Step>
auto withSpareDescriptors(int spare, Step step)
{
	FdLimit limit(spare);
	EXPECT_TRUE(limit.ok()) << "setrlimit(RLIMIT_NOFILE)";
	return step();
}

} // namespace

class OutOfDescriptors : public WithSystemHeap
{
protected:
	void SetUp() override
	{
		WithSystemHeap::SetUp();
		if (IsSkipped() || HasFailure())
			return;
		buffer_ = allocateFrom(system_, {64, 64, DRM_FORMAT_NV12}); // two planes, one dma-buf
		ASSERT_TRUE(buffer_);
	}

	/// @error is EMFILE and its sentence holds @step.
	static void expectEmfile(const Error &error, const std::string &step)
	{
		std::printf("refused: %s\n", error.toString().c_str());
		EXPECT_EQ(error.code, EMFILE) << error.toString();
		EXPECT_NE(error.message.find(step), std::string::npos) << error.message;
	}

	std::shared_ptr<Buffer> buffer_;
};

TEST_F(OutOfDescriptors, AllocateFailsNamingTheAllocatorAndWorksAgain)
{
	for (const std::string key : {"system", "udmabuf", "dumb", "gbm"}) {
		const std::string name = allocatorFor(key);
		HBM_REQUIRE_DEVICE(!name.empty(), "no " + key + " allocator");
		warmUp(name); // GBM loads its Mesa driver, with descriptors of its own, once
		const size_t fdsBefore = openFdCount();
		// udmabuf makes a memfd first: one descriptor left lets that succeed and the
		// dma-buf fail, so the memfd must be closed on the way out.
		for (int spare : {0, 1}) {
			SCOPED_TRACE(name + " with " + std::to_string(spare) + " descriptor(s) to spare");
			AllocationOptions options;
			options.allocator = name;
			auto refused = withSpareDescriptors(
				spare, [&] { return context()->allocate({256, 256, DRM_FORMAT_XRGB8888}, options); });
			if (spare == 1 && refused)
				continue; // one descriptor is all this allocator needs
			ASSERT_FALSE(refused) << "allocated with no descriptor to spare";
			expectEmfile(refused.error(), name + ": ");
			EXPECT_EQ(openFdCount(), fdsBefore) << "left open:" << openFdList();
			EXPECT_TRUE(context()->allocate({256, 256, DRM_FORMAT_XRGB8888}, options))
				<< "descriptors are back, allocation must work again";
		}
	}
}

TEST_F(OutOfDescriptors, ExportFailsNamingThePlaneAndLeavesNothing)
{
	const size_t fdsBefore = openFdCount();
	// Plane 0's duplicate fits, plane 1's does not.
	auto refused = withSpareDescriptors(1, [&] { return buffer_->exportPlanes(); });
	ASSERT_FALSE(refused);
	expectEmfile(refused.error(), "cannot duplicate the descriptor of plane 1");
	EXPECT_EQ(openFdCount(), fdsBefore) << "plane 0's duplicate was left open:" << openFdList();
	auto planes = buffer_->exportPlanes();
	ASSERT_TRUE(planes) << planes.error().toString();
	EXPECT_EQ(planes->size(), 2u);
}

TEST_F(OutOfDescriptors, ImportFailsNamingThePlaneAndWorksAgain)
{
	const int fd = buffer_->planeFd(0).get();
	const ImportDesc desc{32, 32, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd, 0, 128}}};
	const size_t fdsBefore = openFdCount();
	auto refused = withSpareDescriptors(0, [&] { return Buffer::import(desc); });
	ASSERT_FALSE(refused);
	expectEmfile(refused.error(), "import of 32x32 XRGB8888: plane 0: cannot duplicate fd");
	EXPECT_EQ(openFdCount(), fdsBefore) << "left open:" << openFdList();
	auto imported = Buffer::import(desc);
	EXPECT_TRUE(imported) << imported.error().toString();
}

TEST_F(OutOfDescriptors, ReceiveFailsLeavesNothingAndWorksAgain)
{
	int sv[2];
	ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	UniqueFd sender(sv[0]), receiver(sv[1]);
	ASSERT_TRUE(sendBuffer(sender.get(), *buffer_));
	const size_t fdsBefore = openFdCount();
	// The kernel cannot install the buffer's descriptor here.
	auto refused = withSpareDescriptors(0, [&] { return receiveBuffer(receiver.get()); });
	ASSERT_FALSE(refused) << "received a buffer with no descriptor to put it in";
	std::printf("refused: %s\n", refused.error().toString().c_str());
	EXPECT_EQ(openFdCount(), fdsBefore) << "left open:" << openFdList();

	// Descriptors are back: the next buffer arrives whole.
	ASSERT_TRUE(sendBuffer(sender.get(), *buffer_));
	auto received = receiveBuffer(receiver.get());
	ASSERT_TRUE(received) << received.error().toString();
	EXPECT_EQ((*received)->layout().planes, buffer_->layout().planes);

	// At the fd limit the kernel sets MSG_CTRUNC: this process is out of descriptors, not
	// the peer at fault.
	EXPECT_EQ(refused.error().code, EMFILE) << refused.error().toString();
}
