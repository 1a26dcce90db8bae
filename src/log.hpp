// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <hbm/log.hpp>
#include <hbm/result.hpp>

namespace hbm {

/// One clause of HBM_LOG: a category name ("*" for all) and the lowest level shown.
struct LogRule {
	std::string category;
	LogLevel level;
	bool operator==(const LogRule &) const = default;
};

/// Parses an HBM_LOG value: comma-separated clauses "category:level" or a bare "level"
/// (meaning "*:level"). Levels: debug, info, warn, error, off. Later clauses win.
/// Pure function of its input, for tests and fuzzers.
Result<std::vector<LogRule>> parseLogRules(std::string_view spec);

/// A named source of messages ("kms", "dma-heap" …). Its level comes from HBM_LOG, read
/// once; with no HBM_LOG everything is off: a library does not print unasked.
class LogCategory
{
public:
	explicit LogCategory(const char *name) : name_(name) {}
	const char *name() const { return name_; }
	bool enabled(LogLevel level) const { return level != LogLevel::Off && level >= threshold(); }

private:
	LogLevel threshold() const;
	const char *name_;
	mutable std::atomic<unsigned> cached_{0}; ///< generation << 8 | level; 0 = not yet
};

void logMessage(const LogCategory &category, LogLevel level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

using LogSink = std::function<void(const LogCategory &, LogLevel, const std::string &)>;

/// Replaces the rules taken from HBM_LOG (tests) and the sink (stderr by default; an empty
/// sink restores it).
void setLogRules(std::vector<LogRule> rules);
void setLogSink(LogSink sink);

} // namespace hbm

#define HBM_LOG(category, level, ...)                                               \
	do {                                                                        \
		if ((category).enabled(::hbm::LogLevel::level))                     \
			::hbm::logMessage((category), ::hbm::LogLevel::level, __VA_ARGS__); \
	} while (0)
