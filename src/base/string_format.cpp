// SPDX-License-Identifier: MIT
#include "base/string_format.hpp"

#include <cstdio>

namespace hbm {

std::string vstringf(const char *fmt, va_list args)
{
	va_list copy;
	va_copy(copy, args);
	int len = std::vsnprintf(nullptr, 0, fmt, copy);
	va_end(copy);
	if (len <= 0)
		return {};
	std::string out(static_cast<size_t>(len), '\0');
	std::vsnprintf(out.data(), out.size() + 1, fmt, args);
	return out;
}

std::string stringf(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	std::string out = vstringf(fmt, args);
	va_end(args);
	return out;
}

std::string joined(const std::vector<std::string> &items, const char *separator)
{
	std::string out;
	for (const std::string &item : items) {
		if (!out.empty())
			out += separator;
		out += item;
	}
	return out;
}

std::string hex(uint64_t value)
{
	return stringf("0x%llx", static_cast<unsigned long long>(value));
}

std::string byteCount(uint64_t bytes)
{
	constexpr uint64_t MiB = 1u << 20;
	if (bytes >= MiB && bytes % MiB == 0)
		return stringf("%llu MiB", (unsigned long long)(bytes / MiB));
	if (bytes >= MiB)
		return stringf("%.1f MiB (%llu bytes)", double(bytes) / MiB, (unsigned long long)bytes);
	return stringf("%llu bytes", (unsigned long long)bytes);
}

namespace {

/// The length of the well-formed UTF-8 sequence (RFC 3629) starting at @s[i], of two to
/// four bytes; 0 if none starts there.
size_t utf8Sequence(std::string_view s, size_t i)
{
	const unsigned char c = s[i];
	const size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (n == 0 || i + n > s.size())
		return 0;
	const unsigned char c1 = s[i + 1];
	// No overlong forms, no surrogates, nothing above U+10FFFF.
	const unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
	const unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
	if (c1 < lo || c1 > hi)
		return 0;
	for (size_t k = 2; k < n; ++k)
		if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
			return 0;
	return n;
}

/// @s with what quoted() escapes escaped; @quote 0: only what is not printable.
std::string escaped(std::string_view s, char quote)
{
	std::string out;
	for (size_t i = 0; i < s.size();) {
		const unsigned char c = s[i];
		if (c >= 0x80) {
			if (size_t n = utf8Sequence(s, i)) {
				out.append(s.substr(i, n));
				i += n;
				continue;
			}
			out += stringf("\\x%02x", c);
		} else if (c < 0x20 || c == 0x7f) {
			out += stringf("\\x%02x", c);
		} else if (quote && (c == static_cast<unsigned char>(quote) || c == '\\')) {
			out += {'\\', char(c)};
		} else {
			out += char(c);
		}
		++i;
	}
	return out;
}

} // namespace

std::string quoted(std::string_view s, char quote)
{
	return quote + escaped(s, quote) + quote;
}

std::string printable(std::string_view s)
{
	return escaped(s, 0);
}

bool isPrintable(std::string_view s)
{
	return escaped(s, 0).size() == s.size();
}

std::string shown(std::string_view s)
{
	if (s.size() <= 64)
		return quoted(s, '\'');
	size_t cut = 61;
	while (cut && (s[cut] & 0xc0) == 0x80) // not inside a UTF-8 sequence
		--cut;
	return quoted(std::string(s.substr(0, cut)) + "...", '\'');
}

} // namespace hbm
