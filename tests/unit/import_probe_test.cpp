// SPDX-License-Identifier: MIT
// The import probe with fakes at its seams: what a refusal means, that the handle it makes
// is closed at once, that its foreign buffer is released on every path, and what it says
// when there is nothing to probe with.
#include <cerrno>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "fakes/process_resources.hpp"
#include "kms/import_probe.hpp"
#include "kms/kms_device_private.hpp"
#include "backends/memfd/memfd.hpp"
#include "fakes/dma_buf_stand_in.hpp"
#include "fakes/fake_heap.hpp"
#include "context_private.hpp"

using namespace hbm;

namespace {

/// A stand-in page: a memfd (the fake import never looks at it).
Result<ForeignPage> fakePage()
{
	return ForeignPage{SharedFd(UniqueFd(::memfd_create("hbm-foreign-page", MFD_CLOEXEC))), "dma-heap:fake"};
}

struct FakeDrm {
	int importError = 0; ///< what the fake PRIME import fails with (0: it works)
	std::vector<uint32_t> closed;
	PrimeImportFn import()
	{
		return [this](int, uint32_t *handle) {
			if (importError)
				return -importError;
			*handle = 77;
			return 0;
		};
	}
	GemCloseFn close()
	{
		return [this](uint32_t handle) { closed.push_back(handle); };
	}
};

} // namespace

TEST(ImportProbe, AnImportThatWorksIsClosedAtOnce)
{
	FakeDrm drm;
	const size_t fds = hbm::test::openFdCount();
	ImportProbe probe = probeForeignImport(drm.import(), drm.close(), fakePage);
	EXPECT_EQ(probe.answer, ForeignImport::Importable);
	EXPECT_EQ(probe.how, "PRIME import of a one-page dma-heap:fake buffer worked");
	EXPECT_EQ(drm.closed, std::vector<uint32_t>{77});
	EXPECT_EQ(hbm::test::openFdCount(), fds) << "the foreign page was not released";
}

TEST(ImportProbe, ARefusalMeansOwnMemoryOnly)
{
	FakeDrm drm;
	drm.importError = ENODEV; // virtgpu_gem_prime_import_sg_table()
	const size_t fds = hbm::test::openFdCount();
	ImportProbe probe = probeForeignImport(drm.import(), drm.close(), fakePage);
	EXPECT_EQ(probe.answer, ForeignImport::OwnMemoryOnly);
	EXPECT_EQ(probe.error, ENODEV);
	EXPECT_EQ(probe.how, "PRIME import of a one-page dma-heap:fake buffer refused with ENODEV (No such device)");
	EXPECT_TRUE(drm.closed.empty()) << "no handle was made, none is closed";
	EXPECT_EQ(hbm::test::openFdCount(), fds);
}

TEST(ImportProbe, FailuresOfTheMachineSayNothingOfTheDevice)
{
	for (int error : {ENOMEM, EINTR, EAGAIN, EMFILE, ENFILE, EACCES, EPERM, EBADF})
		EXPECT_EQ(classifyImportError(error), ForeignImport::Unknown) << strerrorname_np(error);
	for (int error : {ENODEV, EOPNOTSUPP, ENOSYS, EINVAL})
		EXPECT_EQ(classifyImportError(error), ForeignImport::OwnMemoryOnly) << strerrorname_np(error);
	EXPECT_EQ(classifyImportError(0), ForeignImport::Importable);

	FakeDrm drm;
	drm.importError = ENOMEM;
	EXPECT_EQ(probeForeignImport(drm.import(), drm.close(), fakePage).answer, ForeignImport::Unknown);
}

TEST(ImportProbe, NoForeignExporterIsUnknownAndSaysWhy)
{
	FakeDrm drm;
	bool imported = false;
	ImportProbe probe = probeForeignImport(
		[&](int, uint32_t *) {
			imported = true;
			return 0;
		},
		drm.close(), [] { return Result<ForeignPage>(Error{ENODEV, "/dev/dma_heap/system: No such file or directory; cannot open /dev/udmabuf"}); });
	EXPECT_EQ(probe.answer, ForeignImport::Unknown);
	EXPECT_FALSE(imported);
	EXPECT_EQ(probe.how, "no foreign exporter to probe with (/dev/dma_heap/system: No such file or directory; cannot open /dev/udmabuf)");
}

// The probe's page comes from an allocator the caller's context holds, never from a device
// hbm opens for it: a compositor's context, given only its DRM fd, has nothing to probe with.
TEST(ImportProbe, ThePageComesFromTheContextsOwnAllocators)
{
	const size_t fds = hbm::test::openFdCount();
	{
		std::vector<std::unique_ptr<Allocator>> cpuOnly;
		cpuOnly.push_back(memfd::MemfdAllocator::create());
		auto none = foreignPageOf(*ContextFactory::create(std::move(cpuOnly)));
		ASSERT_FALSE(none);
		EXPECT_EQ(none.error().code, ENODEV);
		EXPECT_NE(none.error().message.find("the context has no dma-heap or udmabuf to make a foreign page with (it has: memfd)"),
			  std::string::npos)
			<< none.error().message;

		std::vector<std::unique_ptr<Allocator>> withHeap;
		withHeap.push_back(memfd::MemfdAllocator::create());
		auto heap = std::make_unique<test::FakeHeap>(true);
		test::FakeHeap *raw = heap.get();
		// Its bytes are what import takes for a dma-buf (the host has none).
		raw->lie = [](Bytes &b) { b.fd = SharedFd(test::makeDmaBufStandIn(b.fdSize)); };
		withHeap.push_back(std::move(heap));
		auto ctx = ContextFactory::create(std::move(withHeap));
		auto page = foreignPageOf(*ctx);
		ASSERT_TRUE(page) << page.error().message;
		EXPECT_EQ(page->exporter, "dma-heap:fake");
		EXPECT_TRUE(page->fd.isValid());
		EXPECT_EQ(raw->asked, std::vector<uint64_t>{4096}) << "one page";
	}
	EXPECT_EQ(hbm::test::openFdCount(), fds);
}

// When the probe cannot answer, the quirk table does (virtio_gpu, with its kernel source),
// and otherwise foreign memory is assumed importable; each says it was not probed.
TEST(ImportProbe, UnansweredProbeFallsBackToTheQuirkTableThenToAssumingImport)
{
	// No DRM fd: the import fails with EBADF, which says nothing of the device and is not kept.
	const ForeignPageFn probeWith = fakePage;
	const ForeignImportFinding virtio = foreignImportFinding(-1, makedev(226, 250), "virtio_gpu", &probeWith);
	EXPECT_TRUE(virtio.ownMemoryOnly);
	EXPECT_EQ(virtio.sentence.rfind("imports only its own memory (virtio_gpu imports no dma-buf it did not make "
					"(virtgpu_gem_prime_import_sg_table() returns -ENODEV), "
					"drivers/gpu/drm/virtio/virtgpu_prime.c:187-211, Linux 6.12; not probed: ",
					0),
		  0u)
		<< virtio.sentence;
	EXPECT_EQ(knownForeignImport(makedev(226, 250)).answer, ForeignImport::Unknown) << "an unanswered probe was kept";

	const ForeignImportFinding other = foreignImportFinding(-1, makedev(226, 251), "cirrus", &probeWith);
	EXPECT_FALSE(other.ownMemoryOnly);
	EXPECT_EQ(other.sentence.rfind("foreign dma-bufs assumed importable (not probed: ", 0), 0u) << other.sentence;

	// Without probing (addFramebuffer's failure path): the same table, "not probed yet".
	EXPECT_NE(foreignImportFinding(-1, makedev(226, 252), "virtio_gpu", nullptr).sentence.find("not probed yet"),
		  std::string::npos);
}
