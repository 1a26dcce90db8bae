// SPDX-License-Identifier: MIT
#pragma once

#include <cstdarg>
#include <string>

namespace hbm {

/// printf into a std::string (g++ 12 has no <format>).
std::string stringf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string vstringf(const char *fmt, va_list args) __attribute__((format(printf, 1, 0)));

} // namespace hbm
