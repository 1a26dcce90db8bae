// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <thread>
#include <vector>
#include <gtest/gtest.h>
#include <unistd.h>

#include <hbm/shared_fd.hpp>
#include <hbm/unique_fd.hpp>

using namespace hbm;

namespace {

bool isOpen(int fd)
{
	return ::fcntl(fd, F_GETFD) != -1;
}

int openDevNull()
{
	return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

} // namespace

TEST(UniqueFd, ClosesOnDestruction)
{
	int raw = openDevNull();
	ASSERT_GE(raw, 0);
	{
		UniqueFd fd(raw);
		EXPECT_TRUE(fd.isValid());
		EXPECT_EQ(fd.get(), raw);
	}
	EXPECT_FALSE(isOpen(raw));
}

TEST(UniqueFd, ReleaseGivesUpOwnership)
{
	UniqueFd fd(openDevNull());
	int raw = fd.release();
	EXPECT_FALSE(fd.isValid());
	EXPECT_TRUE(isOpen(raw));
	UniqueFd again(raw); // closes it
}

TEST(UniqueFd, MoveTransfersAndResetCloses)
{
	UniqueFd a(openDevNull());
	int raw = a.get();
	UniqueFd b(std::move(a));
	EXPECT_FALSE(a.isValid());
	EXPECT_EQ(b.get(), raw);

	UniqueFd c(openDevNull());
	int rawC = c.get();
	c = std::move(b);
	EXPECT_FALSE(isOpen(rawC)) << "move-assignment must close the old descriptor";
	EXPECT_EQ(c.get(), raw);
	c.reset();
	EXPECT_FALSE(isOpen(raw));
}

TEST(UniqueFd, DuplicateIsIndependentAndCloexec)
{
	UniqueFd a(openDevNull());
	UniqueFd b = a.duplicate();
	ASSERT_TRUE(b.isValid());
	EXPECT_NE(a.get(), b.get());
	EXPECT_TRUE(::fcntl(b.get(), F_GETFD) & FD_CLOEXEC);
	int rawB = b.get();
	a.reset();
	EXPECT_TRUE(isOpen(rawB));

	UniqueFd empty;
	EXPECT_FALSE(empty.duplicate().isValid());
}

TEST(SharedFd, ClosesWithLastCopy)
{
	int raw = openDevNull();
	SharedFd first{UniqueFd(raw)};
	{
		SharedFd second = first;
		EXPECT_EQ(second.get(), raw);
		EXPECT_TRUE(second == first);
		first = SharedFd();
		EXPECT_TRUE(isOpen(raw));
	}
	EXPECT_FALSE(isOpen(raw));
	EXPECT_EQ(SharedFd(UniqueFd()).get(), -1);
}

// One owner costs no shared count; copies, moves and assignments between the states all
// keep exactly one close, at the last owner.
TEST(SharedFd, OneOwnerMovesAndCopiesCloseOnce)
{
	int raw = openDevNull();
	SharedFd a{UniqueFd(raw)};
	SharedFd b = std::move(a); // still one owner
	EXPECT_FALSE(a.isValid());
	EXPECT_EQ(b.get(), raw);
	SharedFd c;
	c = b;                     // the first copy makes the count
	SharedFd d = c;            // a copy of a copy joins it
	b = SharedFd();
	c = std::move(d);          // c's own share is given up, d's taken
	EXPECT_TRUE(isOpen(raw));
	SharedFd e = c;
	c = e;                     // self-equal assignment of a shared descriptor
	EXPECT_TRUE(c == e);
	c = SharedFd();
	EXPECT_TRUE(isOpen(raw));
	e = SharedFd();
	EXPECT_FALSE(isOpen(raw));
	EXPECT_EQ(SharedFd().duplicate().get(), -1);
}

// Copies of one SharedFd made from several threads at once (Buffer::planeFd() is shared
// by every thread holding the buffer): the first copies race to make the shared count,
// and the descriptor is still closed exactly once, by the last owner.
TEST(SharedFd, ConcurrentCopiesOfOneOwner)
{
	for (int round = 0; round < 50; ++round) {
		int raw = openDevNull();
		SharedFd original{UniqueFd(raw)};
		std::vector<std::vector<SharedFd>> copies(4);
		std::vector<std::thread> threads;
		for (auto &mine : copies)
			threads.emplace_back([&original, &mine] {
				for (int i = 0; i < 64; ++i)
					mine.push_back(original);
			});
		for (auto &t : threads)
			t.join();
		original = SharedFd();
		for (auto &mine : copies) {
			ASSERT_TRUE(isOpen(raw));
			mine.clear();
		}
		EXPECT_FALSE(isOpen(raw)) << "round " << round;
	}
}
