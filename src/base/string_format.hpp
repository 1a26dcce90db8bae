// SPDX-License-Identifier: MIT
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hbm {

/// printf into a std::string (g++ 12 has no <format>).
std::string stringf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string vstringf(const char *fmt, va_list args) __attribute__((format(printf, 1, 0)));

/// @items joined by @separator: "a, b, c".
std::string joined(const std::vector<std::string> &items, const char *separator = ", ");

/// What @name says of each of @items, joined: joinedBy(allocators, [](auto &a) { return a.name; }).
template<typename Range, typename Name>
std::string joinedBy(const Range &items, Name name, const char *separator = ", ")
{
	std::vector<std::string> names;
	for (const auto &item : items)
		names.push_back(name(item));
	return joined(names, separator);
}

/// "0x1f".
std::string hex(uint64_t value);

/// A size for a sentence: "64 MiB" when a whole number of MiB, "972.5 MiB (1019756544
/// bytes)" above 1 MiB, else "4096 bytes".
std::string byteCount(uint64_t bytes);

/// @s between @quote marks for a sentence: control bytes, bytes that are not well-formed
/// UTF-8 (an input's raw bytes) and the quote and backslash escaped ("\\x01", "\\xff",
/// "\\'"), so that a message stays one printable line whatever it quotes.
std::string quoted(std::string_view s, char quote = '"');

/// @s with control bytes and bytes that are not well-formed UTF-8 escaped as in quoted(),
/// no marks added: a sentence from elsewhere (a library's error) made one printable line.
std::string printable(std::string_view s);

/// Whether @s is printable() as it is: no control byte, well-formed UTF-8.
bool isPrintable(std::string_view s);

/// quoted() with '\'' marks, cut after 64 bytes with "..." (a value can be a megabyte long).
std::string shown(std::string_view s);

} // namespace hbm
