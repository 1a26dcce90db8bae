// SPDX-License-Identifier: MIT
// What this process holds, for leak checks shared by the unit and device tests.
#pragma once

#include <cstddef>
#include <dirent.h>
#include <fstream>
#include <string>
#include <unistd.h>

namespace hbm::test {

/// Open descriptors of this process.
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

/// Mappings of this process (lines of /proc/self/maps).
inline size_t mappingCount()
{
	std::ifstream in("/proc/self/maps");
	std::string line;
	size_t n = 0;
	while (std::getline(in, line))
		++n;
	return n;
}

/// Shared mappings of this process (lines of /proc/self/maps whose permissions end in 's'):
/// what mapping a memfd or a dma-buf makes. The malloc arenas' private mappings come and go
/// on their own (under ASan at the first use of a size class), so leak checks that must
/// not see them count these.
inline size_t sharedMappingCount()
{
	std::ifstream in("/proc/self/maps");
	std::string line;
	size_t n = 0;
	while (std::getline(in, line)) {
		const size_t perms = line.find(' ');
		n += perms != std::string::npos && perms + 4 < line.size() && line[perms + 4] == 's';
	}
	return n;
}

} // namespace hbm::test
