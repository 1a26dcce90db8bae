// SPDX-License-Identifier: MIT
#pragma once

#include <cstdarg>
#include <cstdint>
#include <cstring>
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

/// @a == @b, compared 8 bytes at a time inline rather than by a call to memcmp():
/// Context::allocate() compares the allocator name it is given with its allocators' on
/// every allocation that names one (docs/performance.md, eighth round).
[[gnu::always_inline]] inline bool sameName(std::string_view a, std::string_view b)
{
	const size_t n = a.size();
	if (n != b.size())
		return false;
	if (n < 8)
		return a == b;
	auto word = [](const char *p) {
		uint64_t w;
		std::memcpy(&w, p, sizeof(w));
		return w;
	};
	for (size_t i = 0; i + 8 < n; i += 8)
		if (word(a.data() + i) != word(b.data() + i))
			return false;
	return word(a.data() + n - 8) == word(b.data() + n - 8); // the last 8, overlapping
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
