// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <hbm/export.h>
#include <hbm/result.hpp>

namespace hbm {

enum class LogLevel { Debug = 0, Info, Warn, Error, Off };

/// Receives each message hbm logs: its level, its category ("kms", "dma-heap" …) and the
/// sentence (no trailing newline). Called from whichever thread logs; must not call back
/// into hbm's logging setters.
using LogHandler = std::function<void(LogLevel level, std::string_view category, const std::string &message)>;

/// Routes hbm's log into the program's own (wlr_log_init's use). An empty handler
/// restores the default, stderr. Process-wide.
HBM_EXPORT void setLogHandler(LogHandler handler);

/// Which messages are produced, in HBM_LOG's syntax: "kms:debug,*:warn", or a bare level.
/// Replaces what HBM_LOG said. Nothing is logged by default. Process-wide.
HBM_EXPORT Result<void> setLogLevels(std::string_view spec);

} // namespace hbm
