// SPDX-License-Identifier: MIT
#include "base/log.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fnmatch.h>
#include <mutex>

#include "base/error.hpp"
#include "base/string_format.hpp"

namespace hbm {

namespace {

const char *levelName(LogLevel level)
{
	switch (level) {
	case LogLevel::Debug: return "debug";
	case LogLevel::Info: return "info";
	case LogLevel::Warn: return "warn";
	case LogLevel::Error: return "error";
	case LogLevel::Off: return "off";
	}
	return "?";
}

struct LogState {
	std::mutex mutex;
	std::vector<LogRule> rules;
	LogSink sink;
	std::atomic<unsigned> generation{1};

	LogState()
	{
		const char *spec = std::getenv("HBM_LOG");
		if (!spec || !*spec)
			return;
		auto parsed = parseLogRules(spec);
		if (parsed)
			rules = std::move(*parsed);
		else
			std::fprintf(stderr, "hbm: ignoring HBM_LOG: %s\n",
				     parsed.error().message.c_str());
	}
};

LogState &state()
{
	static LogState s;
	return s;
}

} // namespace

Result<std::vector<LogRule>> parseLogRules(std::string_view spec)
{
	std::vector<LogRule> rules;
	size_t pos = 0;
	while (pos <= spec.size()) {
		size_t comma = spec.find(',', pos);
		if (comma == std::string_view::npos)
			comma = spec.size();
		std::string_view clause = spec.substr(pos, comma - pos);
		pos = comma + 1;
		if (clause.empty())
			continue;

		std::string_view category = "*";
		std::string_view level = clause;
		if (size_t colon = clause.rfind(':'); colon != std::string_view::npos) {
			category = clause.substr(0, colon);
			level = clause.substr(colon + 1);
			if (category.empty())
				return makeError(EINVAL, "HBM_LOG clause '%.*s' has no category before ':'",
						 int(clause.size()), clause.data());
		}

		LogLevel parsed = LogLevel::Off;
		bool found = false;
		for (LogLevel l : {LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error,
				   LogLevel::Off}) {
			if (level == levelName(l)) {
				parsed = l;
				found = true;
			}
		}
		if (level == "warning") {
			parsed = LogLevel::Warn;
			found = true;
		}
		if (!found)
			return makeError(EINVAL,
					 "HBM_LOG clause '%.*s': unknown level '%.*s' (use debug, info, warn, error or off)",
					 int(clause.size()), clause.data(), int(level.size()), level.data());
		rules.push_back({std::string(category), parsed});
	}
	return rules;
}


void setLogRules(std::vector<LogRule> rules)
{
	LogState &s = state();
	std::lock_guard lock(s.mutex);
	s.rules = std::move(rules);
	s.generation.fetch_add(1, std::memory_order_release);
}

void setLogSink(LogSink sink)
{
	LogState &s = state();
	std::lock_guard lock(s.mutex);
	s.sink = std::move(sink);
}

void setLogHandler(LogHandler handler)
{
	if (!handler) {
		setLogSink({});
		return;
	}
	setLogSink([handler = std::move(handler)](const LogCategory &category, LogLevel level, const std::string &text) {
		handler(level, category.name(), text);
	});
}

Result<void> setLogLevels(std::string_view spec)
{
	auto rules = parseLogRules(spec);
	if (!rules)
		return rules.error();
	setLogRules(std::move(*rules));
	return {};
}

} // namespace hbm

namespace hbm_seam {

using namespace hbm;

LogLevel LogCategory::threshold() const
{
	LogState &s = state();
	unsigned gen = s.generation.load(std::memory_order_acquire);
	unsigned cached = cached_.load(std::memory_order_relaxed);
	if (cached >> 8 == gen)
		return static_cast<LogLevel>(cached & 0xff);

	LogLevel level = LogLevel::Off;
	{
		std::lock_guard lock(s.mutex);
		for (const LogRule &rule : s.rules)
			if (fnmatch(rule.category.c_str(), name_, 0) == 0)
				level = rule.level;
	}
	cached_.store(gen << 8 | static_cast<unsigned>(level), std::memory_order_relaxed);
	return level;
}

void logMessage(const LogCategory &category, LogLevel level, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	std::string text = vstringf(fmt, args);
	va_end(args);

	LogState &s = state();
	LogSink sink;
	{
		std::lock_guard lock(s.mutex);
		sink = s.sink;
	}
	if (sink)
		sink(category, level, text);
	else
		std::fprintf(stderr, "hbm %s [%s] %s\n", levelName(level), category.name(), text.c_str());
}

} // namespace hbm_seam
