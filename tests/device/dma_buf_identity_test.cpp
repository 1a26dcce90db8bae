// SPDX-License-Identifier: MIT
// Issue 20: import tells a dma-buf and its real size with one fstat() (identifyDmaBuf(),
// src/base/dma_buf.cpp). Proved here on the lab's kernel against the ground truth it
// replaces — fstatfs()'s DMA_BUF_MAGIC and lseek(SEEK_END) — for a buffer of every exporter
// the machine has (dma-heaps, udmabuf, DRM dumb buffers and GBM on each card), and for
// descriptors that are not dma-bufs, anonymous inodes among them. The kernel's side:
// drivers/dma-buf/dma-buf.c, dma_buf_getfile() (alloc_anon_inode() on the one kern_mount()ed
// dma_buf_mnt; i_size = size) and dma_buf_llseek() (SEEK_END returns the same size).
// tests/lab/dma_buf_stat.c is the same question asked without hbm, exporter by exporter.
#include <fcntl.h>
#include <set>
#include <string>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <drm_fourcc.h>
#include <linux/magic.h>

#include <hbm-test/display.hpp>
#include <hbm/buffer.hpp>

#include "base/dma_buf.hpp"
#include "device_test.hpp"

using namespace hbm;
using namespace hbm::test;

namespace {

/// What the kernel says without identifyDmaBuf(): the file system's magic and SEEK_END.
struct GroundTruth {
	bool dmaBuf = false;
	int64_t size = -1;
};

GroundTruth groundTruth(int fd)
{
	GroundTruth t;
	struct statfs fs;
	t.dmaBuf = ::fstatfs(fd, &fs) == 0 && fs.f_type == DMA_BUF_MAGIC;
	UniqueFd own(::fcntl(fd, F_DUPFD_CLOEXEC, 0)); // the position is shared; SEEK_END on a copy
	t.size = own ? ::lseek(own.get(), 0, SEEK_END) : -1;
	return t;
}

} // namespace

TEST(DmaBufIdentity, OneFstatTellsEveryExportersDmaBufsAndTheirSizes)
{
	ASSERT_TRUE(context());
	std::set<std::string> kinds;
	std::set<dev_t> devices;
	std::set<ino_t> inodes;
	std::vector<std::shared_ptr<Buffer>> held; // distinct buffers: distinct inodes
	for (const AllocatorInfo &a : context()->allocators()) {
		if (!a.deviceImportable)
			continue;
		std::shared_ptr<Buffer> b = allocateFrom(a.name, {64, 64, DRM_FORMAT_XRGB8888}, UsageRender);
		ASSERT_TRUE(b) << a.name;
		const int fd = b->planeFd(0).get();
		DmaBufIdentity id;
		ASSERT_EQ(identifyDmaBuf(fd, &id), 0) << a.name;
		const GroundTruth truth = groundTruth(fd);
		EXPECT_TRUE(truth.dmaBuf) << a.name << ": fstatfs does not say DMA_BUF_MAGIC";
		EXPECT_TRUE(id.dmaBuf) << a.name << ": one fstat does not tell its dma-buf";
		EXPECT_EQ(int64_t(id.size), truth.size) << a.name << ": st_size is not what SEEK_END reports";
		EXPECT_GE(id.size, 64u * 64 * 4) << a.name;
		devices.insert(id.dev);
		EXPECT_TRUE(inodes.insert(id.ino).second) << a.name << ": an inode number seen before";
		kinds.insert(allocatorKindName(a.kind));
		held.push_back(std::move(b));

		// A second descriptor of the same dma-buf (what a client sends) is the same inode.
		DmaBufIdentity again;
		UniqueFd dup = held.back()->planeFd(0).duplicate();
		ASSERT_EQ(identifyDmaBuf(dup.get(), &again), 0);
		EXPECT_EQ(again.ino, id.ino) << a.name;
	}
	HBM_REQUIRE_DEVICE(kinds.count("dma-heap") && kinds.count("udmabuf") && kinds.count("dumb"),
			   "dma-heaps, udmabuf and a DRM card to export dma-bufs from");
	EXPECT_EQ(devices.size(), 1u) << "dma-bufs of " << held.size() << " buffers on " << devices.size()
				      << " file systems";

	// Not dma-bufs, whatever their type: none has the dma-bufs' st_dev, and the two with no
	// file type at all (anonymous inodes, as a dma-buf's) are told apart by it.
	UniqueFd memfd(::memfd_create("not-a-dma-buf", MFD_CLOEXEC));
	ASSERT_EQ(::ftruncate(memfd.get(), 4096), 0);
	int pipeFds[2];
	ASSERT_EQ(::pipe2(pipeFds, O_CLOEXEC), 0);
	UniqueFd pipeRead(pipeFds[0]), pipeWrite(pipeFds[1]);
	UniqueFd event(::eventfd(0, EFD_CLOEXEC));
	UniqueFd card(::open(hbm::test::cardForDriver("vkms").c_str(), O_RDWR | O_CLOEXEC));
	UniqueFd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
	for (const auto &[what, fd] : {std::pair{"a memfd", memfd.get()}, {"a pipe", pipeRead.get()},
				       {"an eventfd", event.get()}, {"a DRM card", card.get()},
				       {"/dev/null", devNull.get()}}) {
		ASSERT_GE(fd, 0) << what;
		DmaBufIdentity id;
		ASSERT_EQ(identifyDmaBuf(fd, &id), 0) << what;
		EXPECT_FALSE(id.dmaBuf) << what;
		EXPECT_FALSE(groundTruth(fd).dmaBuf) << what;
		EXPECT_EQ(devices.count(id.dev), 0u) << what << " has the dma-bufs' st_dev";
	}
}

// An O_PATH descriptor of a dma-buf answers fstat (and fstatfs) as the dma-buf does, so
// import cannot tell it with one call; the kernel refuses it every use (mmap, a device's
// import), and hbm's first CPU access says why rather than passing mmap's EBADF on.
TEST(DmaBufIdentity, AnOPathDescriptorIsRefusedAtFirstUse)
{
	const std::string system = allocatorFor("system");
	HBM_REQUIRE_DEVICE(!system.empty(), "no system dma-heap");
	auto b = allocateFrom(system, {64, 64, DRM_FORMAT_XRGB8888});
	ASSERT_TRUE(b);
	const std::string path = "/proc/self/fd/" + std::to_string(b->planeFd(0).get());
	UniqueFd alias(::open(path.c_str(), O_PATH | O_CLOEXEC));
	ASSERT_TRUE(alias);
	auto imported = Buffer::import({64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {{alias.get(), 0, 256}}});
	ASSERT_TRUE(imported) << imported.error().toString();
	auto access = (*imported)->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_FALSE(access);
	EXPECT_EQ(access.error().code, EBADF);
	EXPECT_NE(access.error().message.find("O_PATH"), std::string::npos) << access.error().message;
}
