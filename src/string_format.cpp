// SPDX-License-Identifier: MIT
#include "string_format.hpp"

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

} // namespace hbm
