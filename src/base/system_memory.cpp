// SPDX-License-Identifier: MIT
#include "base/system_memory.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <sys/sysinfo.h>

#include "base/string_format.hpp"

namespace hbm {

namespace {

/// The next line of @text from @pos (which moves past it); false at the end.
bool nextLine(std::string_view text, size_t *pos, std::string_view *line)
{
	if (*pos >= text.size())
		return false;
	size_t end = text.find('\n', *pos);
	if (end == std::string_view::npos)
		end = text.size();
	*line = text.substr(*pos, end - *pos);
	*pos = end + 1;
	return true;
}

} // namespace

uint64_t systemRamTopFrom(std::string_view iomem)
{
	uint64_t top = 0;
	size_t pos = 0;
	for (std::string_view line; nextLine(iomem, &pos, &line);) {
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

uint64_t meminfoBytesFrom(std::string_view meminfo, std::string_view field)
{
	size_t pos = 0;
	for (std::string_view line; nextLine(meminfo, &pos, &line);) {
		// "MemAvailable:     995856 kB"
		if (line.size() > field.size() && line.starts_with(field) && line[field.size()] == ':')
			return std::strtoull(std::string(line.substr(field.size() + 1)).c_str(), nullptr, 10) * 1024;
	}
	return 0;
}

uint64_t meminfoBytes(std::string_view field)
{
	std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen("/proc/meminfo", "re"), std::fclose);
	char text[4096];
	const size_t n = f ? std::fread(text, 1, sizeof(text), f.get()) : 0;
	return meminfoBytesFrom(std::string_view(text, n), field);
}

std::optional<Refusal> memoryShortfall(uint64_t size, const AllocatorInfo &allocator, const MemoryFacts &facts)
{
	auto refuse = [&](uint64_t limit, std::string fix) {
		Rejection r;
		r.reason = RejectReason::OutOfMemory;
		r.allocator = allocator.name;
		r.value = size;
		r.limit = limit;
		return Refusal{"out of memory", {std::move(r)}, std::move(fix)};
	};
	if (allocator.maxSize && size > allocator.maxSize)
		return refuse(allocator.maxSize, "ask for at most " + byteCount(allocator.maxSize) +
							 (allocator.maxSizeReason.empty() ? "" : "; the limit is " + allocator.maxSizeReason));
	if (facts.total && size > facts.total)
		return refuse(facts.total, "ask for at most " + byteCount(facts.total) +
						   ", this machine's RAM (MemTotal in /proc/meminfo)");
	if (allocator.memoryCommit == MemoryCommit::AtAllocation && facts.available && size > facts.available)
		return refuse(facts.available,
			      "free memory, or ask for at most " + byteCount(facts.available) +
				      ", what is available now (MemAvailable in /proc/meminfo): " + allocator.name +
				      " takes its pages at allocation, and asking the kernel would leave this process to the OOM killer");
	return std::nullopt;
}

namespace {

/// Whether @size fits in free RAM with room to spare, by one sysinfo() call: reading
/// /proc/meminfo (open, the kernel formatting ~50 lines, read, close) cost a 1 MiB
/// allocation 5-10% in the lab. MemAvailable is MemFree less the kernel's reserves (its
/// watermarks, far below 1/32 of RAM) plus what it can reclaim, so free RAM beyond
/// @size + @total/32 means MemAvailable covers @size too. Otherwise MemAvailable decides.
bool plainlyFree(uint64_t size, uint64_t total)
{
	struct sysinfo info;
	if (::sysinfo(&info) != 0)
		return false;
	const uint64_t free = uint64_t(info.freeram) * (info.mem_unit ? info.mem_unit : 1);
	return free > total / 32 && size <= free - total / 32;
}

} // namespace

std::optional<Refusal> weighMemory(uint64_t size, const AllocatorInfo &allocator, uint64_t total)
{
	MemoryFacts facts{total, 0};
	if (allocator.memoryCommit == MemoryCommit::AtAllocation && size >= total / 1024 && !plainlyFree(size, total))
		facts.available = meminfoBytes("MemAvailable");
	return memoryShortfall(size, allocator, facts);
}

} // namespace hbm
