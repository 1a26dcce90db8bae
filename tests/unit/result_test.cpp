// SPDX-License-Identifier: MIT
#include <cerrno>
#include <gtest/gtest.h>
#include <memory>

#include <hbm/result.hpp>

#include "base/error.hpp"

using namespace hbm;

TEST(Result, CarriesValueOrError)
{
	Result<int> good(42);
	ASSERT_TRUE(good.ok());
	EXPECT_EQ(*good, 42);

	Result<int> bad = makeError(ENOENT, "no heap named '%s'", "cma");
	ASSERT_FALSE(bad.ok());
	EXPECT_EQ(bad.error().code, ENOENT);
	EXPECT_EQ(bad.error().message, "no heap named 'cma'");
}

TEST(Result, HoldsMoveOnlyValues)
{
	Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
	ASSERT_TRUE(r);
	std::unique_ptr<int> p = std::move(r).value();
	EXPECT_EQ(*p, 7);
}

TEST(Result, VoidResult)
{
	Result<void> ok;
	EXPECT_TRUE(ok);
	Result<void> bad = makeError(EINVAL, "bad");
	EXPECT_FALSE(bad);
	EXPECT_EQ(bad.error().code, EINVAL);
}

TEST(Error, ToStringNamesTheErrno)
{
	Error e = makeError(ENOENT, "no heap named 'cma'");
	EXPECT_EQ(e.toString(), "no heap named 'cma' (ENOENT: No such file or directory)");
	EXPECT_EQ(withContext(e, "1920x1080 XRGB8888").message, "1920x1080 XRGB8888: no heap named 'cma'");
}

// Regression: a size past a limit read "(E2BIG: Argument list too long)", execve()'s words.
TEST(Error, E2bigSaysTooLargeNotArgumentList)
{
	Error e = makeError(E2BIG, "the cursor plane takes at most 512 pixels across");
	EXPECT_EQ(e.toString(), "the cursor plane takes at most 512 pixels across (E2BIG: larger than a limit allows)");
	EXPECT_EQ(e.code, E2BIG);
}
