// SPDX-License-Identifier: MIT
// Fault injection on the host (docs/fault-injection.md): the rig itself, then a sweep per
// operation hbm can do without devices — allocate (memfd, region), export, CPU access,
// import over dma-buf stand-ins, share over both socket types, configuration loading,
// trace writing. (Context probing makes no call the rig sees on a host without devices:
// the lab sweeps it.) Every call each makes fails at every N, with each
// errno, once and from then on; each outcome is checked by tests/fakes/fault_sweep.cpp.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xf86drm.h>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>
#include <hbm/config.hpp>
#include <hbm/context.hpp>
#include <hbm/share.hpp>

#include "backends/memfd/memfd.hpp"
#include "backends/region/region_allocator.hpp"
#include "fakes/dma_buf_stand_in.hpp"
#include "fakes/fake_heap.hpp"
#include "fakes/fault_sweep.hpp"
#include "fakes/fault_sweep_checks.hpp"
#include "context_private.hpp"
#include "trace.hpp"

using namespace hbm;
using namespace hbm::test;
using namespace hbm::test::fault;

namespace {

constexpr uint32_t kWidth = 64, kHeight = 32; // XRGB8888: 8 KiB

std::shared_ptr<Context> memfdContext()
{
	std::vector<std::unique_ptr<Allocator>> list;
	list.push_back(memfd::MemfdAllocator::create());
	return ContextFactory::create(std::move(list));
}

AllocationOptions cpuOnly(const std::string &allocator)
{
	AllocationOptions o;
	o.allocator = allocator;
	o.allowCpuOnly = true;
	return o;
}

std::string tempPath(const char *what)
{
	return (::testing::TempDir() + "/hbm-fault-" + what + "-" + std::to_string(::getpid()));
}

std::shared_ptr<Buffer> importedStandIn()
{
	UniqueFd fd = makeDmaBufStandIn(uint64_t(kWidth) * 4 * kHeight);
	auto b = Buffer::import(
		{kWidth, kHeight, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{fd.get(), 0, kWidth * 4}}});
	return b ? *b : nullptr;
}

} // namespace

// --- The rig ---------------------------------------------------------------------------

TEST(FaultRig, CountsOnlyTheRecordingThreadsCalls)
{
	Recording r;
	UniqueFd fd(::memfd_create("rig", MFD_CLOEXEC));
	ASSERT_TRUE(fd);
	ASSERT_EQ(::ftruncate(fd.get(), 4096), 0);
	void *p = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd.get(), 0);
	ASSERT_NE(p, MAP_FAILED);
	::munmap(p, 4096);
	UniqueFd copy = fd.duplicate();
	EXPECT_EQ(r.count(Call::MemfdCreate), 1u);
	EXPECT_EQ(r.count(Call::Ftruncate), 1u);
	EXPECT_EQ(r.count(Call::Mmap), 1u);
	EXPECT_EQ(r.count(Call::Munmap), 1u);
	EXPECT_EQ(r.count(Call::Dup), 1u) << "UniqueFd::duplicate is fcntl(F_DUPFD_CLOEXEC)";
}

TEST(FaultRig, FailsTheNthCallOnceOrFromThenOn)
{
	{
		Recording r(Fault{Call::MemfdCreate, 2, EMFILE, false});
		UniqueFd a(::memfd_create("a", MFD_CLOEXEC));
		errno = 0;
		UniqueFd b(::memfd_create("b", MFD_CLOEXEC));
		const int error = errno;
		UniqueFd c(::memfd_create("c", MFD_CLOEXEC));
		EXPECT_TRUE(a);
		EXPECT_FALSE(b);
		EXPECT_EQ(error, EMFILE);
		EXPECT_TRUE(c);
		EXPECT_EQ(r.injected(), 1u);
	}
	{
		// Any kind: the 2nd call of all (the ftruncate) and every later one.
		Recording r(Fault{std::nullopt, 2, ENOMEM, true});
		UniqueFd a(::memfd_create("a", MFD_CLOEXEC));
		EXPECT_TRUE(a);
		EXPECT_EQ(::ftruncate(a.get(), 4096), -1);
		EXPECT_EQ(errno, ENOMEM);
		EXPECT_EQ(::lseek(a.get(), 0, SEEK_END), -1);
		EXPECT_EQ(r.injected(), 2u);
	}
	UniqueFd after(::memfd_create("after", MFD_CLOEXEC));
	EXPECT_TRUE(after) << "nothing fails once the recording is gone";
}

TEST(FaultRig, NeverFailsAReleaseButCountsIt)
{
	UniqueFd fd(::memfd_create("rig", MFD_CLOEXEC));
	ASSERT_EQ(::ftruncate(fd.get(), 4096), 0);
	void *p = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd.get(), 0);
	ASSERT_NE(p, MAP_FAILED);
	Recording r(Fault{std::nullopt, 1, ENOMEM, true});
	EXPECT_EQ(::munmap(p, 4096), 0);
	EXPECT_EQ(r.count(Call::Munmap), 1u);
	EXPECT_EQ(r.injected(), 0u);
}

// libdrm's drmIoctl() calls ioctl() through the PLT: the rig sees it (and so it sees Mesa
// GBM's; the lab counts DRM_IOCTL_MODE_CREATE_DUMB on a real device).
TEST(FaultRig, SeesLibdrmsIoctls)
{
	UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
	ASSERT_TRUE(null);
	struct drm_version v = {};
	{
		Recording r;
		EXPECT_NE(drmIoctl(null.get(), DRM_IOCTL_VERSION, &v), 0);
		EXPECT_EQ(r.ioctlCount(DRM_IOCTL_VERSION), 1u);
	}
	{
		// EINTR, then EAGAIN: drmIoctl retries both.
		Recording r(Fault{Call::Ioctl, 1, EINTR, false});
		EXPECT_NE(drmIoctl(null.get(), DRM_IOCTL_VERSION, &v), 0);
		EXPECT_EQ(errno, ENOTTY) << "the retry reached the real ioctl";
		EXPECT_EQ(r.ioctlCount(DRM_IOCTL_VERSION), 2u);
	}
}

// The stand-in's fstatfs is the rig's: one interposer answers for both.
TEST(FaultRig, ServesTheDmaBufStandInToo)
{
	UniqueFd standIn = makeDmaBufStandIn(4096);
	ASSERT_TRUE(standIn);
	const uint64_t answered = dmaBufStandInAnswers();
	Recording r;
	auto b = Buffer::import({32, 32, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{standIn.get(), 0, 128}}});
	ASSERT_TRUE(b) << b.error().toString();
	EXPECT_GE(r.count(Call::Fstatfs), 1u);
	EXPECT_GT(dmaBufStandInAnswers(), answered);
}

// The sweep's checks bite: an operation that leaks on its error paths, names no step and
// retries nothing is caught on each count.
TEST(FaultRig, TheSweepCatchesLeaksUnnamedStepsAndMissingRetries)
{
	std::vector<UniqueFd> leakedFds;
	std::vector<std::pair<void *, size_t>> leakedMappings;
	const SweepReport report = sweep([&]() -> Result<void> {
		UniqueFd fd(::memfd_create("careless", MFD_CLOEXEC));
		if (!fd)
			return Error{errno, "memfd_create failed"};
		if (::ftruncate(fd.get(), 4096) < 0) {
			const int error = errno;
			leakedFds.push_back(std::move(fd)); // as if never closed
			return Error{error, "something went wrong"};
		}
		void *p = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd.get(), 0);
		if (p == MAP_FAILED)
			return Error{errno, "mmap failed"};
		if (::fcntl(fd.get(), F_GETFL) < 0) {
			leakedMappings.push_back({p, 4096}); // as if never unmapped
			return Error{errno, "fcntl failed"};
		}
		::munmap(p, 4096);
		int unread = 0;
		if (::ioctl(fd.get(), FIONREAD, &unread) < 0) // EINTR not retried
			return Error{errno, "ioctl 0x541b failed"};
		return {};
	});
	if (std::getenv("HBM_FAULT_SENTENCES"))
		for (const std::string &p : report.problems)
			std::printf("  %s\n", p.c_str());
	const auto has = [&](const std::string &text, const std::string &also = "") {
		for (const std::string &p : report.problems)
			if (p.find(text) != std::string::npos && p.find(also) != std::string::npos)
				return true;
		return false;
	};
	EXPECT_TRUE(has("call 2 of 6 (ftruncate) fails once with ENOMEM: the sentence does not name the step"));
	EXPECT_TRUE(has("call 2 of 6 (ftruncate) fails from then on with EMFILE: the sentence does not name the step"));
	EXPECT_TRUE(has("call 2 of 6 (ftruncate) fails once with ENODEV: ", " fds before, ")) << "a leaked fd";
	EXPECT_TRUE(has("call 4 of 6 (fcntl) fails once with ENOMEM: 0 shared mappings before, 1 after"))
		<< "a leaked mapping";
	EXPECT_TRUE(has("call 6 of 6 (ioctl 0x541b) fails once with EINTR: should have been retried"));
	EXPECT_FALSE(has("(mmap) fails")) << "the mmap failure is handled well";
	EXPECT_FALSE(has("(ioctl 0x541b) fails once with ENOMEM")) << "and so is an ioctl's ENOMEM";
	for (auto [p, size] : leakedMappings)
		::munmap(p, size);
}

// --- Sweeps ----------------------------------------------------------------------------

TEST(FaultSweep, AllocateMemfd)
{
	auto ctx = memfdContext();
	EXPECT_TRUE(clean(sweep([&]() -> Result<void> {
		auto b = ctx->allocate({kWidth, kHeight, DRM_FORMAT_XRGB8888}, cpuOnly("memfd"));
		if (!b)
			return b.error();
		return {};
	})));
}

TEST(FaultSweep, AllocateFromARegion)
{
	FakeHeap heap;
	auto region = region::RegionAllocator::carve("sweep", heap, 4 << 20, "best-fit");
	ASSERT_TRUE(region) << region.error().toString();
	std::vector<std::unique_ptr<Allocator>> list;
	list.push_back(std::move(*region));
	auto ctx = ContextFactory::create(std::move(list));
	EXPECT_TRUE(clean(sweep([&]() -> Result<void> {
		// A range of the region's one memfd: the calls are the export's and the mapping's.
		auto b = ctx->allocate({kWidth, kHeight, DRM_FORMAT_XRGB8888}, cpuOnly("region:sweep"));
		if (!b)
			return b.error();
		if (auto planes = (*b)->exportPlanes(); !planes)
			return planes.error();
		return writeAndRead(**b);
	})));
}

TEST(FaultSweep, Export)
{
	auto ctx = memfdContext();
	auto b = ctx->allocate({kWidth, kHeight, DRM_FORMAT_NV12}, cpuOnly("memfd"));
	ASSERT_TRUE(b) << b.error().toString();
	EXPECT_TRUE(clean(sweep([&]() -> Result<void> {
		auto planes = (*b)->exportPlanes();
		if (!planes)
			return planes.error();
		return {};
	})));
}

TEST(FaultSweep, CpuAccess)
{
	auto ctx = memfdContext();
	EXPECT_TRUE(clean(sweep([&]() -> Result<void> {
		// A fresh buffer each time: a buffer keeps its mapping from its first access.
		auto b = ctx->allocate({kWidth, kHeight, DRM_FORMAT_XRGB8888}, cpuOnly("memfd"));
		if (!b)
			return b.error();
		return writeAndRead(**b);
	})));
}

TEST(FaultSweep, ImportDmaBufStandIns)
{
	const uint64_t size = uint64_t(kWidth) * kHeight * 3 / 2;
	UniqueFd one = makeDmaBufStandIn(size), two = makeDmaBufStandIn(size);
	ASSERT_TRUE(one && two);
	EXPECT_TRUE(clean(sweep([&]() -> Result<void> {
		// Two planes in one dma-buf and in two: fstatfs, fstat (which buffer), lseek, dup.
		auto same = Buffer::import({kWidth,
					    kHeight,
					    DRM_FORMAT_NV12,
					    DRM_FORMAT_MOD_LINEAR,
					    {{one.get(), 0, kWidth}, {one.get(), kWidth * kHeight, kWidth}}});
		if (!same)
			return same.error();
		auto apart = Buffer::import({kWidth,
					     kHeight,
					     DRM_FORMAT_NV12,
					     DRM_FORMAT_MOD_LINEAR,
					     {{one.get(), 0, kWidth}, {two.get(), kWidth * kHeight, kWidth}}});
		if (!apart)
			return apart.error();
		return {};
	})));
}

class FaultShare : public ::testing::TestWithParam<int>
{
};

TEST_P(FaultShare, SendAndReceive)
{
	auto buffer = importedStandIn();
	ASSERT_TRUE(buffer);
	EXPECT_TRUE(clean(sweep([&]() -> Result<void> {
		// A socket pair of its own each run: closing it drops whatever a failure left in flight.
		int pair[2];
		if (::socketpair(AF_UNIX, GetParam() | SOCK_CLOEXEC, 0, pair) < 0)
			return Error{errno, "socketpair"};
		UniqueFd a(pair[0]), b(pair[1]);
		if (auto sent = sendBuffer(a.get(), *buffer); !sent)
			return sent.error();
		auto received = receiveBuffer(b.get());
		if (!received)
			return received.error();
		return {};
	})));
}

INSTANTIATE_TEST_SUITE_P(Sockets, FaultShare, ::testing::Values(SOCK_SEQPACKET, SOCK_STREAM),
			 [](const auto &p) { return p.param == SOCK_STREAM ? "Stream" : "Seqpacket"; });

TEST(FaultSweep, ConfigurationLoading)
{
	const std::string path = tempPath("config.toml");
	std::ofstream(path) << "[kind.scanout]\nallocators = [\"memfd\"]\n";
	const char *was = std::getenv("HBM_CONFIG");
	const std::string saved = was ? was : "";
	::setenv("HBM_CONFIG", path.c_str(), 1);
	EXPECT_TRUE(clean(sweep([&]() -> Result<void> {
		auto config = loadConfig();
		if (!config)
			return config.error();
		return {};
	})));
	if (was)
		::setenv("HBM_CONFIG", saved.c_str(), 1);
	else
		::unsetenv("HBM_CONFIG");
	::unlink(path.c_str());
}

TEST(FaultSweep, TraceWriting)
{
	const std::string path = tempPath("trace");
	EXPECT_TRUE(clean(sweep([&]() -> Result<void> {
		::unlink(path.c_str()); // a new trace each run: the header is written too
		trace::Recorder recorder(path.c_str());
		if (const Error *failure = recorder.failure())
			return *failure;
		const uint64_t id = recorder.recordAllocate(kWidth, kHeight, DRM_FORMAT_XRGB8888, 8192, "memfd", 1000);
		recorder.recordRelease(id);
		if (const Error *failure = recorder.failure())
			return *failure;
		return {};
	})));
	::unlink(path.c_str());
}
