// SPDX-License-Identifier: MIT
// What the hbm command and hbm-replay share: their JSON documents, how they fail, and how
// they read numbers and sizes from a command line.
#pragma once

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hbm::cli {

using json = nlohmann::ordered_json;

/// The shape of every JSON document the command prints; raised when a field changes
/// meaning or goes (added fields keep it).
inline constexpr int kJsonSchema = 1;

/// A JSON document of the command: the versions a script checks, then @fields.
inline json document(const json &fields = json::object())
{
	json out = {{"version", {{"hbm", HBM_VERSION}, {"schema", kJsonSchema}}}};
	out.update(fields);
	return out;
}

/// An error: a JSON document naming it with --json, else a line on stderr. Status 1.
inline int fail(const std::string &message, bool asJson)
{
	if (asJson)
		std::printf("%s\n", document({{"error", message}}).dump(2).c_str());
	else
		std::fprintf(stderr, "hbm: %s\n", message.c_str());
	return 1;
}

/// A decimal number of @text alone, at most @max; nothing for anything else (a sign, a
/// space, a suffix, a value that overflows).
inline std::optional<uint64_t> parseNumber(std::string_view text, uint64_t max)
{
	uint64_t value = 0;
	const char *end = text.data() + text.size();
	auto [stop, error] = std::from_chars(text.data(), end, value);
	if (error != std::errc() || stop != end || value > max)
		return std::nullopt;
	return value;
}

/// Bytes, or KiB, MiB, GiB with a K, M or G suffix; at least 1, and no more than 64 bits hold.
inline std::optional<uint64_t> parseSize(std::string_view text)
{
	unsigned shift = 0;
	if (!text.empty()) {
		const std::string_view suffixes = "KMG";
		if (size_t unit = suffixes.find(char(std::toupper(static_cast<unsigned char>(text.back()))));
		    unit != std::string_view::npos) {
			shift = 10 * unsigned(unit + 1);
			text.remove_suffix(1);
		}
	}
	auto value = parseNumber(text, UINT64_MAX >> shift);
	if (!value || *value == 0)
		return std::nullopt;
	return *value << shift;
}

} // namespace hbm::cli
