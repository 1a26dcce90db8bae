// SPDX-License-Identifier: MIT
// What every fuzzer checks the same way: a finding aborts with what broke, a refusal has an
// errno and a printable sentence; and a reader of fixed-width fields for the binary inputs,
// shared with the seed writers (which write the same fields with Writer).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <hbm/result.hpp>

namespace hbm::fuzz {

/// A finding: says what broke and aborts, so libFuzzer keeps the input.
[[noreturn]] inline void fail(const char *what, const std::string &detail)
{
	std::fprintf(stderr, "fuzz: %s: %s\n", what, detail.c_str());
	std::abort();
}

/// Why @s is not a sentence for a log or a terminal ("" if it is): a control byte, or a
/// byte that is not part of well-formed UTF-8 (a raw byte of the input echoed back).
inline std::string unprintable(std::string_view s)
{
	for (size_t i = 0; i < s.size();) {
		const unsigned char c = s[i];
		if (c < 0x20 || c == 0x7f)
			return "control byte at " + std::to_string(i);
		if (c < 0x80) {
			++i;
			continue;
		}
		// UTF-8: the lead byte says how many continuation bytes follow (RFC 3629: no
		// overlong forms, nothing above U+10FFFF, no surrogates).
		const size_t n = c >= 0xc2 && c <= 0xdf ? 1
			       : c >= 0xe0 && c <= 0xef ? 2
			       : c >= 0xf0 && c <= 0xf4 ? 3
							: 0;
		if (n == 0 || i + n >= s.size())
			return "raw byte " + std::to_string(c) + " at " + std::to_string(i);
		const unsigned char c1 = s[i + 1];
		const bool secondOk = c == 0xe0 ? (c1 >= 0xa0 && c1 <= 0xbf)
				    : c == 0xed ? (c1 >= 0x80 && c1 <= 0x9f)
				    : c == 0xf0 ? (c1 >= 0x90 && c1 <= 0xbf)
				    : c == 0xf4 ? (c1 >= 0x80 && c1 <= 0x8f)
						: (c1 & 0xc0) == 0x80;
		if (!secondOk)
			return "raw byte at " + std::to_string(i);
		for (size_t k = 2; k <= n; ++k)
			if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
				return "raw byte at " + std::to_string(i);
		i += n + 1;
	}
	return {};
}

/// A sentence a user reads: not empty, one line, printable UTF-8.
inline void checkSentence(const std::string &sentence, const char *whose)
{
	if (sentence.empty())
		fail(whose, "an empty sentence");
	if (std::string why = unprintable(sentence); !why.empty())
		fail(whose, "unprintable sentence (" + why + "): " + sentence);
}

/// A refusal: an errno and a sentence.
inline void checkRefusal(const Error &error)
{
	if (error.code <= 0)
		fail("refusal without an errno", error.message);
	checkSentence(error.message, "refusal");
}

/// Fixed-width little-endian fields off the front of the input; zeros once it runs out,
/// so every input decodes to something.
class Reader
{
public:
	Reader(const uint8_t *data, size_t size) : data_(data), size_(size) {}
	template<typename T>
	T get()
	{
		T v = 0;
		for (size_t i = 0; i < sizeof(T); ++i)
			v |= T(T(at_ < size_ ? data_[at_++] : 0) << (8 * i));
		return v;
	}
	uint8_t byte() { return get<uint8_t>(); }
	bool empty() const { return at_ >= size_; }

private:
	const uint8_t *data_;
	size_t size_;
	size_t at_ = 0;
};

/// The seed writers' half of Reader.
class Writer
{
public:
	template<typename T>
	Writer &put(T v)
	{
		for (size_t i = 0; i < sizeof(T); ++i)
			bytes.push_back(uint8_t(uint64_t(v) >> (8 * i)));
		return *this;
	}
	Writer &byte(uint8_t v) { return put(v); }
	std::vector<uint8_t> bytes;
};

/// Writes @bytes to @path; false (and says why) on failure.
inline bool writeSeed(const std::string &path, const std::vector<uint8_t> &bytes)
{
	FILE *f = std::fopen(path.c_str(), "wb");
	if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
		std::perror(path.c_str());
		return false;
	}
	return true;
}

/// The directory a seed writer (hbm-fuzz-NAME-seeds DIRECTORY) was given, or null after
/// saying how to call it.
inline const char *seedDirectory(int argc, char **argv)
{
	if (argc == 2)
		return argv[1];
	std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
	return nullptr;
}

} // namespace hbm::fuzz
