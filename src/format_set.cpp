// SPDX-License-Identifier: MIT
#include <hbm/format_set.hpp>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <memory>
#include <utility>

#include <hbm/format.hpp>

namespace hbm {

namespace {

auto findEntry(auto &entries, uint32_t format)
{
	return std::lower_bound(entries.begin(), entries.end(), format,
				[](const FormatSet::Entry &e, uint32_t f) { return e.format < f; });
}

} // namespace

struct FormatSet::Pairs {
	/// Sets sharing these pairs. Taken relaxed (a copy is made from a set its maker holds);
	/// given up acq_rel and read acquire by ownList(), so that a set's reads of the pairs
	/// happen before another set, left their only owner, changes them in place.
	std::atomic<unsigned long> owners{1};
	std::vector<Entry> entries; ///< sorted by format
};

FormatSet::FormatSet(const FormatSet &other) : pairs_(other.pairs_)
{
	if (pairs_)
		pairs_->owners.fetch_add(1, std::memory_order_relaxed);
}

FormatSet::FormatSet(FormatSet &&other) noexcept : pairs_(std::exchange(other.pairs_, nullptr)) {}

FormatSet &FormatSet::operator=(const FormatSet &other)
{
	if (this != &other) {
		FormatSet copy(other);
		std::swap(pairs_, copy.pairs_);
	}
	return *this;
}

FormatSet &FormatSet::operator=(FormatSet &&other) noexcept
{
	if (this != &other) {
		release();
		pairs_ = std::exchange(other.pairs_, nullptr);
	}
	return *this;
}

FormatSet::~FormatSet()
{
	release();
}

void FormatSet::release()
{
	if (pairs_ && pairs_->owners.fetch_sub(1, std::memory_order_acq_rel) == 1)
		delete pairs_;
	pairs_ = nullptr;
}

const std::vector<FormatSet::Entry> &FormatSet::list() const
{
	static const std::vector<Entry> none;
	return pairs_ ? pairs_->entries : none;
}

bool FormatSet::shared() const
{
	return pairs_ && pairs_->owners.load(std::memory_order_acquire) != 1;
}

std::vector<FormatSet::Entry> &FormatSet::ownList()
{
	if (!pairs_) {
		pairs_ = new Pairs;
	} else if (shared()) {
		// Shared with a copy: this set's changes are its own.
		auto mine = std::make_unique<Pairs>();
		mine->entries = pairs_->entries;
		release();
		pairs_ = mine.release();
	}
	return pairs_->entries;
}

FormatSet FormatSet::of(std::vector<Entry> entries)
{
	FormatSet out;
	if (!entries.empty()) {
		out.pairs_ = new Pairs;
		out.pairs_->entries = std::move(entries);
	}
	return out;
}

FormatSet::FormatSet(std::initializer_list<uint32_t> formats, std::initializer_list<uint64_t> modifiers)
{
	for (uint32_t format : formats)
		for (uint64_t modifier : modifiers)
			add(format, modifier);
}

bool FormatSet::add(uint32_t format, uint64_t modifier)
{
	if (shared() && contains(format, modifier))
		return false; // nothing changes: nothing copied
	std::vector<Entry> &entries = ownList();
	auto it = findEntry(entries, format);
	if (it == entries.end() || it->format != format)
		it = entries.insert(it, Entry{format, {}});
	auto &mods = it->modifiers;
	auto pos = std::lower_bound(mods.begin(), mods.end(), modifier);
	if (pos != mods.end() && *pos == modifier)
		return false;
	mods.insert(pos, modifier);
	return true;
}

bool FormatSet::remove(uint32_t format, uint64_t modifier)
{
	if (!contains(format, modifier))
		return false; // nothing changes: nothing copied
	std::vector<Entry> &entries = ownList();
	auto it = findEntry(entries, format);
	auto &mods = it->modifiers;
	mods.erase(std::lower_bound(mods.begin(), mods.end(), modifier));
	if (mods.empty())
		entries.erase(it);
	return true;
}

std::span<const uint64_t> FormatSet::modifiers(uint32_t format) const
{
	const std::vector<Entry> &entries = list();
	auto it = findEntry(entries, format);
	if (it == entries.end() || it->format != format)
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
	out.reserve(list().size());
	for (const Entry &e : list())
		out.push_back(e.format);
	return out;
}

size_t FormatSet::pairCount() const
{
	size_t n = 0;
	for (const Entry &e : list())
		n += e.modifiers.size();
	return n;
}

FormatSet FormatSet::intersect(const FormatSet &other) const
{
	std::vector<Entry> out;
	const std::vector<Entry> &mine = list(), &theirs = other.list();
	auto a = mine.begin();
	auto b = theirs.begin();
	while (a != mine.end() && b != theirs.end()) {
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
				out.push_back(std::move(e));
			++a;
			++b;
		}
	}
	return of(std::move(out));
}

FormatSet FormatSet::unite(const FormatSet &other) const
{
	std::vector<Entry> out;
	const std::vector<Entry> &mine = list(), &theirs = other.list();
	auto a = mine.begin();
	auto b = theirs.begin();
	while (a != mine.end() || b != theirs.end()) {
		if (b == theirs.end() || (a != mine.end() && a->format < b->format)) {
			out.push_back(*a++);
		} else if (a == mine.end() || b->format < a->format) {
			out.push_back(*b++);
		} else {
			Entry e{a->format, {}};
			std::set_union(a->modifiers.begin(), a->modifiers.end(),
				       b->modifiers.begin(), b->modifiers.end(),
				       std::back_inserter(e.modifiers));
			out.push_back(std::move(e));
			++a;
			++b;
		}
	}
	return of(std::move(out));
}

std::string FormatSet::toString() const
{
	std::string out;
	for (const Entry &e : list()) {
		if (!out.empty())
			out += "; ";
		out += formatName(e.format) + ":";
		for (size_t i = 0; i < e.modifiers.size(); ++i)
			out += (i ? ", " : " ") + modifierName(e.modifiers[i]);
	}
	return out.empty() ? "(empty)" : out;
}

} // namespace hbm
