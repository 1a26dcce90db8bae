// SPDX-License-Identifier: MIT
#include "base/device_nodes.hpp"

#include <algorithm>
#include <dirent.h>
#include <memory>

namespace hbm {

std::vector<std::string> deviceNodes(const std::string &dir, std::string_view prefix)
{
	std::vector<std::string> out;
	std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(dir.c_str()), ::closedir);
	while (d) {
		struct dirent *e = ::readdir(d.get());
		if (!e)
			break;
		if (std::string_view(e->d_name).starts_with(prefix))
			out.push_back(dir + "/" + e->d_name);
	}
	// Numeric order: card2 before card10.
	std::sort(out.begin(), out.end(), [](const std::string &a, const std::string &b) {
		return a.size() != b.size() ? a.size() < b.size() : a < b;
	});
	return out;
}

} // namespace hbm
