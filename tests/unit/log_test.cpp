// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "base/log.hpp"

using namespace hbm;

TEST(LogRules, ParsesCategoriesAndBareLevels)
{
	auto rules = parseLogRules("warn,kms:debug,dma-*:info");
	ASSERT_TRUE(rules) << rules.error().message;
	std::vector<LogRule> want = {
		{"*", LogLevel::Warn}, {"kms", LogLevel::Debug}, {"dma-*", LogLevel::Info}};
	EXPECT_EQ(*rules, want);

	auto empty = parseLogRules("");
	ASSERT_TRUE(empty);
	EXPECT_TRUE(empty->empty());
}

TEST(LogRules, RefusesUnknownLevelAndMissingCategory)
{
	auto bad = parseLogRules("kms:verbose");
	ASSERT_FALSE(bad);
	EXPECT_NE(bad.error().message.find("unknown level 'verbose'"), std::string::npos)
		<< bad.error().message;

	auto noCategory = parseLogRules(":debug");
	ASSERT_FALSE(noCategory);
	EXPECT_NE(noCategory.error().message.find("no category"), std::string::npos);
}

class LogTest : public ::testing::Test
{
protected:
	void TearDown() override
	{
		setLogRules({});
		setLogSink({});
	}
};

TEST_F(LogTest, SilentWithoutRules)
{
	setLogRules({});
	LogCategory cat("test-silent");
	for (LogLevel l : {LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error})
		EXPECT_FALSE(cat.enabled(l));
}

TEST_F(LogTest, RulesSelectCategoriesByGlobAndLastWins)
{
	LogCategory kms("kms");
	LogCategory heap("dma-heap");
	setLogRules({{"*", LogLevel::Error}, {"dma-*", LogLevel::Debug}});
	EXPECT_FALSE(kms.enabled(LogLevel::Warn));
	EXPECT_TRUE(kms.enabled(LogLevel::Error));
	EXPECT_TRUE(heap.enabled(LogLevel::Debug));

	// Changing the rules takes effect on categories that already cached a level.
	setLogRules({{"kms", LogLevel::Info}});
	EXPECT_TRUE(kms.enabled(LogLevel::Info));
	EXPECT_FALSE(heap.enabled(LogLevel::Error));
}

TEST_F(LogTest, MessagesReachTheSinkWithCategoryAndLevel)
{
	LogCategory cat("sink-test");
	std::vector<std::string> seen;
	setLogSink([&](const LogCategory &c, LogLevel level, const std::string &text) {
		seen.push_back(std::string(c.name()) + "/" + std::to_string(int(level)) + "/" + text);
	});
	setLogRules({{"sink-test", LogLevel::Info}});
	HBM_LOG(cat, Debug, "hidden %d", 1);
	HBM_LOG(cat, Warn, "shown %d", 2);
	ASSERT_EQ(seen.size(), 1u);
	EXPECT_EQ(seen[0], "sink-test/2/shown 2");
}
