// SPDX-License-Identifier: MIT
#include <hbm/format_set.hpp>

#include <algorithm>
#include <iterator>

#include <hbm/format.hpp>

namespace hbm {

namespace {

auto findEntry(auto &entries, uint32_t format)
{
	return std::lower_bound(entries.begin(), entries.end(), format,
				[](const FormatSet::Entry &e, uint32_t f) { return e.format < f; });
}

} // namespace

FormatSet::FormatSet(std::initializer_list<uint32_t> formats, std::initializer_list<uint64_t> modifiers)
{
	for (uint32_t format : formats)
		for (uint64_t modifier : modifiers)
			add(format, modifier);
}

bool FormatSet::add(uint32_t format, uint64_t modifier)
{
	auto it = findEntry(entries_, format);
	if (it == entries_.end() || it->format != format)
		it = entries_.insert(it, Entry{format, {}});
	auto &mods = it->modifiers;
	auto pos = std::lower_bound(mods.begin(), mods.end(), modifier);
	if (pos != mods.end() && *pos == modifier)
		return false;
	mods.insert(pos, modifier);
	return true;
}

bool FormatSet::remove(uint32_t format, uint64_t modifier)
{
	auto it = findEntry(entries_, format);
	if (it == entries_.end() || it->format != format)
		return false;
	auto &mods = it->modifiers;
	auto pos = std::lower_bound(mods.begin(), mods.end(), modifier);
	if (pos == mods.end() || *pos != modifier)
		return false;
	mods.erase(pos);
	if (mods.empty())
		entries_.erase(it);
	return true;
}

std::span<const uint64_t> FormatSet::modifiers(uint32_t format) const
{
	auto it = findEntry(entries_, format);
	if (it == entries_.end() || it->format != format)
		return {};
	return it->modifiers;
}

bool FormatSet::contains(uint32_t format, uint64_t modifier) const
{
	auto mods = modifiers(format);
	return std::binary_search(mods.begin(), mods.end(), modifier);
}

bool FormatSet::containsFormat(uint32_t format) const
{
	return !modifiers(format).empty();
}

std::vector<uint32_t> FormatSet::formats() const
{
	std::vector<uint32_t> out;
	out.reserve(entries_.size());
	for (const Entry &e : entries_)
		out.push_back(e.format);
	return out;
}

size_t FormatSet::pairCount() const
{
	size_t n = 0;
	for (const Entry &e : entries_)
		n += e.modifiers.size();
	return n;
}

FormatSet FormatSet::intersect(const FormatSet &other) const
{
	FormatSet out;
	auto a = entries_.begin();
	auto b = other.entries_.begin();
	while (a != entries_.end() && b != other.entries_.end()) {
		if (a->format < b->format) {
			++a;
		} else if (b->format < a->format) {
			++b;
		} else {
			Entry e{a->format, {}};
			std::set_intersection(a->modifiers.begin(), a->modifiers.end(),
					      b->modifiers.begin(), b->modifiers.end(),
					      std::back_inserter(e.modifiers));
			if (!e.modifiers.empty())
				out.entries_.push_back(std::move(e));
			++a;
			++b;
		}
	}
	return out;
}

FormatSet FormatSet::unite(const FormatSet &other) const
{
	FormatSet out;
	auto a = entries_.begin();
	auto b = other.entries_.begin();
	while (a != entries_.end() || b != other.entries_.end()) {
		if (b == other.entries_.end() || (a != entries_.end() && a->format < b->format)) {
			out.entries_.push_back(*a++);
		} else if (a == entries_.end() || b->format < a->format) {
			out.entries_.push_back(*b++);
		} else {
			Entry e{a->format, {}};
			std::set_union(a->modifiers.begin(), a->modifiers.end(),
				       b->modifiers.begin(), b->modifiers.end(),
				       std::back_inserter(e.modifiers));
			out.entries_.push_back(std::move(e));
			++a;
			++b;
		}
	}
	return out;
}

std::string FormatSet::toString() const
{
	std::string out;
	for (const Entry &e : entries_) {
		if (!out.empty())
			out += "; ";
		out += formatName(e.format) + ":";
		for (size_t i = 0; i < e.modifiers.size(); ++i)
			out += (i ? ", " : " ") + modifierName(e.modifiers[i]);
	}
	return out.empty() ? "(empty)" : out;
}

} // namespace hbm
