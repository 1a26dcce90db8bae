// SPDX-License-Identifier: MIT
// The machine running out of RAM: a request that cannot fit is refused before the kernel is
// asked, never left to the OOM killer; nothing is left behind, and everything works again
// once memory is back. CMA exhaustion is tests/device/cma_test.cpp.
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>
#include <hbm/hbm.h>

#include "backends/udmabuf/udmabuf_allocator.hpp"
#include "device_test.hpp"
#include "string_format.hpp"

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

class OutOfMemory : public ::testing::Test
{
protected:
	void SetUp() override
	{
		system_ = allocatorFor("system");
		HBM_REQUIRE_DEVICE(!system_.empty(), "no system dma-heap");
		HBM_REQUIRE_DEVICE(meminfo("MemTotal") <= 2048 * kMiB,
				   "a machine of more than 2 GiB (the lab guest has 1 GiB): 16384x16384 fits");
		GTEST_FLAG_SET(death_test_style, "threadsafe");
	}
	std::string system_;
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
					"dma-heap:system: 1024 MiB asked for, more than this machine's RAM: ");
		    !f.empty())
			return f;
		if (auto f = refusedFor(context()->allocate({16384, 16384, DRM_FORMAT_XRGB8888}, options), "(MemTotal in /proc/meminfo)");
		    !f.empty())
			return f;
		// What `hbm alloc` does: negotiate (the system heap ranks first), allocate the plan.
		auto plan = context()->negotiate({16384, 16384, {DRM_FORMAT_XRGB8888}}, {});
		if (!plan)
			return "no plan: " + plan.error().toString();
		if (auto f = refusedFor(context()->allocate(*plan), "more than this machine's RAM"); !f.empty())
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
					"udmabuf: 1024 MiB asked for, more than udmabuf can give: 64 MiB (its size_limit_mb in "
					"/sys/module/udmabuf/parameters");
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
		int ret = hbm_buffer_allocate(ctx, 16384, 16384, DRM_FORMAT_XRGB8888, "dma-heap:system", nullptr, 0, 0,
					      &buffer);
		if (ret >= 0)
			return "hbm_buffer_allocate gave 1 GiB";
		if (auto f = refusedFor(-ret, hbm_last_error(), "1024 MiB asked for, more than this machine's RAM"); !f.empty())
			return f;

		auto held = holdAQuarterOfTheRam();
		const uint64_t size = aboveWhatIsAvailable();
		if (!held || !size)
			return "cannot set up MemAvailable + 64 MiB below the RAM";
		ret = hbm_buffer_allocate(ctx, 4096, imageOf(size).height, DRM_FORMAT_XRGB8888, "dma-heap:system", nullptr,
					  0, 0, &buffer);
		if (ret >= 0)
			return "hbm_buffer_allocate gave more than MemAvailable";
		if (auto f = refusedFor(-ret, hbm_last_error(), "(MemAvailable in /proc/meminfo)"); !f.empty())
			return f;
		held.reset();
		if (openFdCount() != fdsBefore)
			return "descriptors left open:" + openFdList();
		ret = hbm_buffer_allocate(ctx, 1920, 1080, DRM_FORMAT_XRGB8888, "dma-heap:system", nullptr, 0, 0, &buffer);
		if (ret < 0)
			return std::string("a normal allocation failed afterwards: ") + hbm_last_error();
		hbm_buffer_unref(buffer);
		return {};
	});
}
