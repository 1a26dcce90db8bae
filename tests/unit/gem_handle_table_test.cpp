// SPDX-License-Identifier: MIT
#include <cerrno>
#include <gtest/gtest.h>
#include <map>
#include <vector>

#include "kms/gem_handle_table.hpp"

using namespace hbm;

namespace {

/// Behaves like the kernel: one handle per dma-buf per DRM file, until closed.
struct FakeDrm {
	std::map<int, uint32_t> handles; // dma-buf fd -> live handle
	uint32_t next = 1;
	std::vector<uint32_t> closed;

	GemHandleTable table()
	{
		return GemHandleTable(
			[this](int fd, uint32_t *h) {
				if (fd < 0)
					return -EBADF;
				auto it = handles.find(fd);
				if (it == handles.end())
					it = handles.emplace(fd, next++).first;
				*h = it->second;
				return 0;
			},
			[this](uint32_t h) {
				closed.push_back(h);
				for (auto it = handles.begin(); it != handles.end(); ++it)
					if (it->second == h) {
						handles.erase(it);
						break;
					}
				return 0;
			});
	}
};

} // namespace

TEST(GemHandleTable, SameDmaBufGivesOneHandleClosedOnce)
{
	FakeDrm drm;
	GemHandleTable table = drm.table();
	auto a = table.acquire(10);
	auto b = table.acquire(10);
	ASSERT_TRUE(a && b);
	EXPECT_EQ(*a, *b);
	EXPECT_EQ(table.size(), 1u);
	EXPECT_EQ(table.references(*a), 2u);

	table.release(*a);
	EXPECT_TRUE(drm.closed.empty()) << "closed while another user still holds it";
	table.release(*b);
	EXPECT_EQ(drm.closed, std::vector<uint32_t>{*a});
	EXPECT_EQ(table.size(), 0u);
}

TEST(GemHandleTable, DistinctBuffersDistinctHandles)
{
	FakeDrm drm;
	GemHandleTable table = drm.table();
	auto a = table.acquire(10);
	auto b = table.acquire(11);
	ASSERT_TRUE(a && b);
	EXPECT_NE(*a, *b);
	EXPECT_EQ(table.size(), 2u);
	table.release(*a);
	table.release(*b);
	EXPECT_EQ(drm.closed.size(), 2u);
}

TEST(GemHandleTable, ImportFailureIsAnErrorAndHoldsNothing)
{
	FakeDrm drm;
	GemHandleTable table = drm.table();
	auto r = table.acquire(-1);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, EBADF);
	EXPECT_NE(r.error().message.find("PRIME import"), std::string::npos);
	EXPECT_EQ(table.size(), 0u);
}

TEST(GemHandleTable, DestructionClosesWhatWasNotReleased)
{
	FakeDrm drm;
	{
		GemHandleTable table = drm.table();
		ASSERT_TRUE(table.acquire(10));
	}
	EXPECT_EQ(drm.closed.size(), 1u);
}
