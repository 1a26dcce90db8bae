// SPDX-License-Identifier: MIT
// libFuzzer target: parseConfig() on file text and a one-line HBM_CONFIG_OVERRIDE.
//
// Input: the file text, then (after the last NUL byte, if any) the override. With no NUL
// the whole input is the file and there is no override; a NUL inside the file text is
// still possible (an input with two NULs), an override never holds one (the environment
// cannot).
//
// Invariants, per input: no crash or undefined behaviour (ASan+UBSan: toml++ is compiled
// into config.cpp, so its parser is under them too); a refusal is EINVAL with a printable
// sentence that begins with the place at fault ("fuzz.toml:L:C: " or "fuzz.toml: " for the
// file, "HBM_CONFIG_OVERRIDE:" for the override) and blames only what was given; an
// accepted configuration re-checks sane (below); the same input gives the same answer.
#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <string_view>

#include <hbm/config.hpp>
#include <hbm/format.hpp>
#include <hbm/layout.hpp>

#include "constraint_check.hpp"
#include "fuzz_check.hpp"

using namespace hbm;
using namespace hbm::fuzz;

namespace {

constexpr std::string_view kOrigin = "fuzz.toml";

bool startsWith(std::string_view s, std::string_view prefix)
{
	return s.substr(0, prefix.size()) == prefix;
}

bool powerOfTwo(uint64_t v)
{
	return v && !(v & (v - 1));
}

/// A name from the configuration: what messages and lookups use.
void checkName(const std::string &name, const char *what)
{
	if (name.empty())
		fail(what, "an empty name was accepted");
	if (std::string why = unprintable(name); !why.empty())
		fail(what, "an unprintable name was accepted (" + why + "): " + name);
}

/// Alignments as every consumer of a participant takes them (validateConstraints: powers
/// of two up to kMaxAlignment) — what configuration accepts must be usable.
void checkAlignment(uint64_t v, const char *what)
{
	if (!powerOfTwo(v) || v > kMaxAlignment)
		fail(what,
		     "accepted alignment " + std::to_string(v) + " that participants refuse (powers of two 1 to 2^24)");
}

void checkFormats(const std::vector<uint32_t> &formats, const char *what)
{
	std::set<uint32_t> seen;
	for (uint32_t f : formats) {
		if (!findFormat(f))
			fail(what, "accepted unknown format " + formatName(f));
		if (!seen.insert(f).second)
			fail(what, "accepted a format twice: " + formatName(f));
	}
}

void checkAccepted(const Config &config)
{
	if (config.origin != kOrigin)
		fail("config", "origin is '" + config.origin + "'");
	for (const HeapConfig &h : config.heaps)
		checkName(h.name, "heap");
	for (const DeviceRule &r : config.rules) {
		checkName(r.name, "device rule");
		if (r.drmDriver.empty() && r.sysfsPath.empty() && r.v4l2Card.empty())
			fail("device rule", r.name + " matches nothing, and was accepted");
		if (r.contiguous && r.contiguousWithoutIommu)
			fail("device rule", r.name + " has both contiguous and contiguous_without_iommu, and was accepted");
		checkAlignment(r.strideAlignment, "device rule stride_alignment");
		checkAlignment(r.offsetAlignment, "device rule offset_alignment");
		checkFormats(r.formats, "device rule formats");
	}
	for (const Participant &p : config.participants) {
		checkName(p.name(), "participant");
		if (p.constraints.formats.empty())
			fail("participant", p.name() + " takes no format, and was accepted");
		for (uint32_t f : p.constraints.formats.formats())
			if (!findFormat(f))
				fail("participant", "accepted unknown format " + formatName(f));
		if (p.constraints.maxWidth > kMaxDimension || p.constraints.maxHeight > kMaxDimension)
			fail("participant", p.name() + ": a size limit above " + std::to_string(kMaxDimension));
		if (auto bad = validateConstraints(p))
			fail("participant", p.name() + " is refused by negotiation: " + bad->why());
	}
	std::set<std::string> kinds;
	for (const KindConfig &k : config.kinds) {
		checkName(k.name, "kind");
		if (k.allocators.empty())
			fail("kind", k.name + " has no allocator, and was accepted");
		std::set<std::string> seen;
		for (const std::string &a : k.allocators) {
			checkName(a, "kind allocator");
			if (!seen.insert(a).second)
				fail("kind", k.name + " lists " + a + " twice");
		}
	}
	for (const RegionConfig &r : config.regions) {
		checkName(r.name, "region");
		checkName(r.heap, "region heap");
		if (r.size == 0 || r.size % 4096)
			fail("region", r.name + ": size " + std::to_string(r.size) + " accepted");
		if (r.algorithm != "best-fit" && r.algorithm != "first-fit")
			fail("region", r.name + ": algorithm " + r.algorithm + " accepted");
	}
}

void checkRefused(const Error &error, std::string_view text, std::string_view override)
{
	checkRefusal(error);
	if (error.code != EINVAL)
		fail("config refusal",
		     "errno " + std::to_string(error.code) + " (EINVAL documented): " + error.message);
	const bool file = startsWith(error.message, std::string(kOrigin) + ":");
	const bool over = startsWith(error.message, "HBM_CONFIG_OVERRIDE:");
	if (!file && !over)
		fail("config refusal", "names no place: " + error.message);
	if (over && override.empty())
		fail("config refusal", "blames an override that is empty: " + error.message);
	if (file && text.empty())
		fail("config refusal", "blames an empty file: " + error.message);
}

/// A comparable digest of an accepted configuration, for the determinism check.
std::string digest(const Config &c)
{
	std::string out;
	for (const HeapConfig &h : c.heaps)
		out += "h" + h.name + std::to_string(h.memoryEnd) + std::to_string(h.contiguous.value_or(2)) +
		       std::to_string(h.cached.value_or(2));
	for (const DeviceRule &r : c.rules)
		out += "d" + r.name + r.drmDriver + r.sysfsPath + r.v4l2Card + std::to_string(r.addressLimit) +
		       std::to_string(r.strideAlignment) + std::to_string(r.offsetAlignment) +
		       std::to_string(r.formats.size()) + std::to_string(r.contiguousWithoutIommu);
	for (const Participant &p : c.participants)
		out += "p" + p.name() + p.constraints.formats.toString() +
		       std::to_string(p.constraints.strideAlignment);
	for (const KindConfig &k : c.kinds)
		out += "k" + k.name + std::to_string(k.allocators.size());
	for (const RegionConfig &r : c.regions)
		out += "r" + r.name + r.heap + std::to_string(r.size) + r.algorithm;
	return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view all(reinterpret_cast<const char *>(data), size);
	std::string_view text = all, override;
	if (size_t nul = all.rfind('\0'); nul != all.npos) {
		text = all.substr(0, nul);
		override = all.substr(nul + 1);
	}
	auto config = parseConfig(text, kOrigin, override);
	auto again = parseConfig(text, kOrigin, override);
	if (bool(config) != bool(again))
		fail("config", "the same input accepted once and refused once");
	if (config) {
		checkAccepted(*config);
		if (digest(*config) != digest(*again))
			fail("config", "the same input parsed two ways");
	} else {
		checkRefused(config.error(), text, override);
		if (config.error().message != again.error().message)
			fail("config", "the same input refused two ways: " + config.error().message + " / " +
					       again.error().message);
	}
	return 0;
}
