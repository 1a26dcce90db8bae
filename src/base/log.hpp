// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <hbm/log.hpp>

#include "seam/log.hpp"
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

using hbm_seam::LogCategory;
using hbm_seam::logMessage;

using LogSink = std::function<void(const LogCategory &, LogLevel, const std::string &)>;

/// Replaces the rules taken from HBM_LOG (tests) and the sink (stderr by default; an empty
/// sink restores it).
void setLogRules(std::vector<LogRule> rules);
void setLogSink(LogSink sink);

} // namespace hbm
