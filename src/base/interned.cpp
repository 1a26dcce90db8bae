// SPDX-License-Identifier: MIT
#include "base/interned.hpp"

#include <mutex>
#include <set>

namespace hbm {

const std::string &interned(std::string_view text)
{
	static std::mutex mutex;
	// Never destroyed: a buffer outliving static destruction may still name its origin.
	static auto *names = new std::set<std::string, std::less<>>;
	std::lock_guard lock(mutex);
	auto found = names->find(text);
	if (found == names->end())
		found = names->emplace(text).first;
	return *found;
}

} // namespace hbm
