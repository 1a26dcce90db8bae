// SPDX-License-Identifier: MIT
// Log categories: the one logger of libhbm and of hbm's integration libraries, so that a
// program's handler (hbm::setLogHandler()) and HBM_LOG see every message of every library.
#pragma once

#include "seam.hpp"

#include <atomic>

#include <hbm/log.hpp>

namespace hbm_seam {

using hbm::LogLevel;

/// A named source of messages ("kms", "dma-heap", "wayland-compositor" …). Its level comes
/// from HBM_LOG, read once; with no HBM_LOG everything is off: a library does not print
/// unasked.
class HBM_SEAM LogCategory
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

HBM_SEAM void logMessage(const LogCategory &category, LogLevel level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

} // namespace hbm_seam

/// Logs to @category at @level (Debug, Info, Warn, Error), formatting only when enabled.
#define HBM_LOG(category, level, ...)                                                       \
	do {                                                                                \
		if ((category).enabled(::hbm::LogLevel::level))                             \
			::hbm_seam::logMessage((category), ::hbm::LogLevel::level, __VA_ARGS__); \
	} while (0)
