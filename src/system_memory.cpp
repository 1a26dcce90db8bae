// SPDX-License-Identifier: MIT
#include "system_memory.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace hbm {

uint64_t systemRamTopFrom(std::string_view iomem)
{
	uint64_t top = 0;
	size_t pos = 0;
	while (pos < iomem.size()) {
		size_t end = iomem.find('\n', pos);
		if (end == std::string_view::npos)
			end = iomem.size();
		std::string_view line = iomem.substr(pos, end - pos);
		pos = end + 1;
		// Top-level lines only ("00100000-3ffdffff : System RAM"): nested ones are indented.
		if (line.empty() || line[0] == ' ' || line.find(": System RAM") == std::string_view::npos)
			continue;
		size_t dash = line.find('-');
		if (dash == std::string_view::npos)
			continue;
		std::string last(line.substr(dash + 1, line.find(' ', dash) - dash - 1));
		uint64_t value = std::strtoull(last.c_str(), nullptr, 16);
		if (value + 1 > top)
			top = value + 1;
	}
	return top > 1 ? top : 0; // all zeros: addresses hidden from this user
}

uint64_t systemRamTop()
{
	// Read once: negotiation and every attach ask, and RAM does not move under a process
	// (memory hotplug aside).
	static const uint64_t top = [] {
		std::ifstream in("/proc/iomem");
		std::stringstream text;
		text << in.rdbuf();
		return systemRamTopFrom(text.str());
	}();
	return top;
}

} // namespace hbm
