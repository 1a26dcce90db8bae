// SPDX-License-Identifier: MIT
#include <fcntl.h>
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
