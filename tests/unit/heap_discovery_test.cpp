// SPDX-License-Identifier: MIT
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "backends/dma_heap/dma_heap.hpp"

using namespace hbm;
namespace fs = std::filesystem;

class HeapDiscovery : public ::testing::Test
{
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/hbm-heaps-XXXXXX";
		ASSERT_NE(::mkdtemp(tmpl), nullptr);
		root_ = tmpl;
		paths_.devDir = root_ / "dev/dma_heap";
		paths_.sysfsCmaDir = root_ / "sys/kernel/mm/cma";
		paths_.debugfsCmaDir = root_ / "sys/kernel/debug/cma";
	}
	void TearDown() override { fs::remove_all(root_); }

	void touch(const fs::path &p)
	{
		fs::create_directories(p.parent_path());
		std::ofstream(p).put('\0');
	}

	fs::path root_;
	dma_heap::Paths paths_;
};

TEST_F(HeapDiscovery, FindsCmaByItsAreaNotByName)
{
	touch(fs::path(paths_.devDir) / "system");
	touch(fs::path(paths_.devDir) / "system-uncached");
	touch(fs::path(paths_.devDir) / "reserved");
	fs::create_directories(fs::path(paths_.sysfsCmaDir) / "reserved");

	auto heaps = dma_heap::discover(paths_);
	ASSERT_TRUE(heaps) << heaps.error().message;
	ASSERT_EQ(heaps->size(), 3u);
	EXPECT_EQ((*heaps)[0].name, "reserved");
	EXPECT_TRUE((*heaps)[0].contiguous);
	EXPECT_EQ((*heaps)[0].path, paths_.devDir + "/reserved");
	EXPECT_EQ((*heaps)[1].name, "system");
	EXPECT_FALSE((*heaps)[1].contiguous);
	EXPECT_TRUE((*heaps)[1].cached);
	EXPECT_EQ((*heaps)[2].name, "system-uncached");
	EXPECT_FALSE((*heaps)[2].cached);
}

TEST_F(HeapDiscovery, DebugfsAlsoMarksCma)
{
	touch(fs::path(paths_.devDir) / "linux,cma");
	fs::create_directories(fs::path(paths_.debugfsCmaDir) / "linux,cma");
	auto heaps = dma_heap::discover(paths_);
	ASSERT_TRUE(heaps);
	ASSERT_EQ(heaps->size(), 1u);
	EXPECT_TRUE((*heaps)[0].contiguous);
}

TEST_F(HeapDiscovery, MissingDirectoryMeansNoHeaps)
{
	auto heaps = dma_heap::discover(paths_);
	ASSERT_TRUE(heaps) << heaps.error().message;
	EXPECT_TRUE(heaps->empty());
}

TEST_F(HeapDiscovery, UnreadableDirectoryIsAnError)
{
	touch(paths_.devDir); // a file where a directory should be
	auto heaps = dma_heap::discover(paths_);
	ASSERT_FALSE(heaps);
	EXPECT_EQ(heaps.error().code, ENOTDIR);
	EXPECT_NE(heaps.error().message.find(paths_.devDir), std::string::npos);
}

// A CMA refusal as data, in every case whose advice differs (the advice — "raise cma=" only
// when nothing that large fits the area; otherwise what is free, the largest block, and
// what this process holds and could release — is pinned in refusal_test).
TEST(CmaShortfall, WhatWasAskedAndWhatWouldFit)
{
	using dma_heap::CmaState;
	using dma_heap::cmaShortfall;
	constexpr uint64_t MiB = 1 << 20;

	// What was asked, what would fit (the largest free block, or what is free when that
	// is unknown).
	auto expect = [](const Refusal &r, uint64_t asked, uint64_t fits) {
		ASSERT_EQ(r.rejections.size(), 1u);
		EXPECT_EQ(r.rejections[0].reason, RejectReason::OutOfMemory);
		EXPECT_EQ(r.rejections[0].allocator, "dma-heap:reserved");
		EXPECT_EQ(r.rejections[0].value, asked);
		EXPECT_EQ(r.rejections[0].limit, fits);
	};
	expect(cmaShortfall("reserved", 128 * MiB, CmaState{64 * MiB, 60 * MiB, 60 * MiB, 0, 0}), 128 * MiB, 60 * MiB);
	expect(cmaShortfall("reserved", 40 * MiB, CmaState{64 * MiB, 24 * MiB, 24 * MiB, 40 * MiB, 1}), 40 * MiB, 24 * MiB);
	expect(cmaShortfall("reserved", 16 * MiB, CmaState{64 * MiB, 32 * MiB, 8 * MiB, 0, 0}), 16 * MiB, 8 * MiB);
	// The largest free block unknown: what is free is what would fit.
	expect(cmaShortfall("reserved", 40 * MiB, CmaState{64 * MiB, 24 * MiB, 0, 40 * MiB, 2}), 40 * MiB, 24 * MiB);
}
