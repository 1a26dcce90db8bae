// SPDX-License-Identifier: MIT
#pragma once

#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include <hbm/heap.hpp>

namespace hbm::test {

/// True inside the lab guest (tests/lab/run.sh sets HBM_LAB=1), where every device the
/// tests need exists: missing there is a failure, not a skip.
inline bool inLab()
{
	const char *lab = std::getenv("HBM_LAB");
	return lab && std::string(lab) == "1";
}

/// Open descriptors of this process, for leak checks.
inline size_t openFdCount()
{
	size_t n = 0;
	if (DIR *d = ::opendir("/proc/self/fd")) {
		while (::readdir(d))
			++n;
		::closedir(d);
	}
	return n;
}

/// "fd -> target" for each open descriptor, to say what leaked.
inline std::string openFdList()
{
	std::string out;
	if (DIR *d = ::opendir("/proc/self/fd")) {
		while (struct dirent *e = ::readdir(d)) {
			if (e->d_name[0] == '.')
				continue;
			char target[256] = {};
			std::string link = std::string("/proc/self/fd/") + e->d_name;
			if (::readlink(link.c_str(), target, sizeof(target) - 1) < 0)
				continue;
			out += std::string(" ") + e->d_name + "->" + target;
		}
		::closedir(d);
	}
	return out;
}

/// A kB value from /proc/meminfo (e.g. "CmaFree"), or -1.
inline long meminfoKb(const std::string &key)
{
	std::ifstream in("/proc/meminfo");
	std::string name;
	long value;
	std::string unit;
	while (in >> name >> value) {
		std::getline(in, unit);
		if (name == key + ":")
			return value;
	}
	return -1;
}

/// A number from a sysfs attribute, or -1.
inline long sysfsCounter(const std::string &path)
{
	std::ifstream in(path);
	long value = -1;
	in >> value;
	return in ? value : -1;
}

/// The first heap with the given contiguity, or an empty name.
inline std::string heapName(bool contiguous)
{
	auto heaps = listHeaps();
	if (heaps)
		for (const HeapInfo &h : *heaps)
			if (h.contiguous == contiguous && h.cached)
				return h.name;
	return {};
}

/// Names a test parameterised by heap kind after the kind ("system", "cma").
inline std::string heapParamName(const ::testing::TestParamInfo<std::string> &param)
{
	return param.param;
}

} // namespace hbm::test

/// Skips on a machine without the device; fails in the lab, where it must exist.
#define HBM_REQUIRE_DEVICE(condition, reason)                                          \
	do {                                                                           \
		if (!(condition)) {                                                    \
			if (::hbm::test::inLab())                                      \
				FAIL() << "lab guest lacks a device: " << (reason);    \
			else                                                           \
				GTEST_SKIP() << (reason) << " (runs in the lab suite)"; \
		}                                                                      \
	} while (0)
