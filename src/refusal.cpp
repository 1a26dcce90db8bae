// SPDX-License-Identifier: MIT
// Rejections are data; this file is the one place they become sentences.
#include <hbm/refusal.hpp>

#include <algorithm>

#include <sys/sysmacros.h>

#include <hbm/format.hpp>

#include "base/string_format.hpp"

namespace hbm {

namespace {

std::string names(const std::vector<ParticipantIdentity> &who)
{
	std::vector<std::string> out;
	for (const ParticipantIdentity &id : who)
		out.push_back(identityName(id));
	return out.empty() ? std::string("a participant") : joined(out, " and ");
}

std::string device(uint64_t rdev)
{
	return stringf("%u:%u", major(dev_t(rdev)), minor(dev_t(rdev)));
}

const char *cached(uint64_t v)
{
	return v ? "cached" : "uncached";
}

} // namespace

const char *rejectReasonName(RejectReason reason)
{
	switch (reason) {
	case RejectReason::None: return "none";
	case RejectReason::InvalidConstraint: return "invalid-constraint";
	case RejectReason::InvalidRequest: return "invalid-request";
	case RejectReason::FormatNotTaken: return "format-not-taken";
	case RejectReason::NoCommonModifier: return "no-common-modifier";
	case RejectReason::ModifierNotMade: return "modifier-not-made";
	case RejectReason::CpuOnly: return "cpu-only";
	case RejectReason::AllocatorNotAllowed: return "allocator-not-allowed";
	case RejectReason::NotDeviceLocal: return "not-device-local";
	case RejectReason::NotAtStart: return "not-at-start";
	case RejectReason::NotContiguous: return "not-contiguous";
	case RejectReason::CachingMismatch: return "caching-mismatch";
	case RejectReason::AddressLimit: return "address-limit";
	case RejectReason::WidthLimit: return "width-limit";
	case RejectReason::HeightLimit: return "height-limit";
	case RejectReason::StrideLimit: return "stride-limit";
	case RejectReason::StrideAlignment: return "stride-alignment";
	case RejectReason::OffsetAlignment: return "offset-alignment";
	case RejectReason::SizeLimit: return "size-limit";
	case RejectReason::LayoutImpossible: return "layout-impossible";
	case RejectReason::CachingConflict: return "caching-conflict";
	case RejectReason::AllocatorsConflict: return "allocators-conflict";
	case RejectReason::DevicesConflict: return "devices-conflict";
	case RejectReason::StorageExists: return "storage-exists";
	case RejectReason::NotAttached: return "not-attached";
	case RejectReason::NoDmaBufMemory: return "no-dma-buf-memory";
	case RejectReason::OutOfMemory: return "out-of-memory";
	case RejectReason::FixedSize: return "fixed-size";
	case RejectReason::FixedStride: return "fixed-stride";
	case RejectReason::FixedOffset: return "fixed-offset";
	case RejectReason::FixedTooSmall: return "fixed-too-small";
	case RejectReason::LayoutsConflict: return "layouts-conflict";
	case RejectReason::QuotaExceeded: return "quota-exceeded";
	}
	return "unknown";
}

std::string Rejection::subject() const
{
	std::string out = allocator;
	if (format) {
		out += (out.empty() ? "" : " for ") + formatName(format);
		if (hasModifier && modifier != 0 /* LINEAR, the default */ && reason != RejectReason::ModifierNotMade &&
		    reason != RejectReason::NoCommonModifier && reason != RejectReason::FormatNotTaken)
			out += " with " + modifierName(modifier);
	}
	return out;
}

std::string Rejection::why() const
{
	const std::string who = names(setBy);
	const unsigned long long v = value, l = limit;
	switch (reason) {
	case RejectReason::None: return "no objection";
	case RejectReason::InvalidConstraint:
		return stringf("%s declares %s alignment %llu: alignments must be powers of two from 1 to %u", who.c_str(),
			       plane == 0 ? "stride" : "offset", v, kMaxAlignment);
	case RejectReason::InvalidRequest:
		if (format)
			return "hbm has no layout for it";
		if (limit == kMaxDimension)
			return stringf("%llux%llu: width and height must be 1 to %llu", v >> 32, v & 0xffffffffu, l);
		if (limit)
			return stringf("usage 0x%llx has bits hbm does not define (0x%llx)", v, v & ~l);
		return "no format requested";
	case RejectReason::FormatNotTaken: return who + " does not take it";
	case RejectReason::NoCommonModifier:
		return setBy.empty() ? "no modifier every participant takes" : "no modifier " + who + " all take";
	case RejectReason::ModifierNotMade: return "makes none of the modifiers asked for";
	case RejectReason::CpuOnly: return "CPU-only memory";
	case RejectReason::AllocatorNotAllowed: return "not among the allocators " + who + " allows";
	case RejectReason::NotDeviceLocal:
		return "not memory of device " + device(limit) + ", the only memory " + who + " can use" +
		       (value ? " (it is " + device(value) + "'s)" : std::string());
	case RejectReason::NotAtStart:
		return (value ? stringf("plane 0 starts at offset %llu of its dma-buf", v)
			      : std::string("it places buffers at offsets inside one dma-buf")) +
		       ", but " + who + " reads buffers only from offset 0";
	case RejectReason::NotContiguous:
		return std::string(value ? "scattered pages" : "pages not known to be contiguous") + ", but " + who +
		       " needs physically contiguous memory";
	case RejectReason::CachingMismatch:
		return std::string(cached(v)) + " memory, but " + who + " needs " + cached(l);
	case RejectReason::AddressLimit:
		return value ? "its memory may lie up to " + hex(value) + ", above the limit " + hex(limit) + " of " + who
			     : "cannot tell where its memory lies, so cannot promise the limit " + hex(limit) + " of " + who;
	case RejectReason::WidthLimit: return stringf("%s takes at most %llu pixels across (asked %llu)", who.c_str(), l, v);
	case RejectReason::HeightLimit: return stringf("%s takes at most %llu rows (asked %llu)", who.c_str(), l, v);
	case RejectReason::StrideLimit:
		return stringf("plane %u stride %llu exceeds %llu, the most %s takes", plane, v, l, who.c_str());
	case RejectReason::StrideAlignment:
		return stringf("plane %u stride %llu is not a multiple of %llu, which %s needs", plane, v, l, who.c_str());
	case RejectReason::OffsetAlignment:
		return stringf("plane %u offset %llu is not a multiple of %llu, which %s needs", plane, v, l, who.c_str());
	case RejectReason::SizeLimit: return stringf("%llu bytes exceed its largest allocation, %llu", v, l);
	case RejectReason::LayoutImpossible: return "its layout overflows";
	case RejectReason::CachingConflict:
		return who + " need both cached and uncached memory: no buffer can be both";
	case RejectReason::AllocatorsConflict:
		return who + " allow disjoint sets of allocators";
	case RejectReason::DevicesConflict:
		return who + " each use only memory of their own device, and the devices differ (" + device(value) +
		       ", " + device(limit) + ")";
	case RejectReason::StorageExists:
		return "the buffer has storage already, laid out for its participants: its constraints cannot be relaxed";
	case RejectReason::NotAttached: return who + " is not attached";
	case RejectReason::NoDmaBufMemory: return "CPU-only memory, all of it: no allocator here makes dma-bufs";
	case RejectReason::OutOfMemory:
		return v > l ? byteCount(v) + " asked for, more than the " + byteCount(l) + " it can give"
			     : byteCount(v) + " asked for and refused, although " + byteCount(l) + " seemed free";
	case RejectReason::FixedSize:
		return stringf("%llux%llu, but %s lays this format out itself, at %llux%llu only", v >> 32, v & 0xffffffffu,
			       who.c_str(), l >> 32, l & 0xffffffffu);
	case RejectReason::FixedStride:
		return stringf("plane %u stride %llu, but %s writes rows %llu bytes apart", plane, v, who.c_str(), l);
	case RejectReason::FixedOffset:
		return stringf("plane %u at offset %llu, but %s puts it at %llu", plane, v, who.c_str(), l);
	case RejectReason::FixedTooSmall:
		return stringf("%llu bytes, fewer than the %llu %s fills", v, l, who.c_str());
	case RejectReason::LayoutsConflict:
		return who + " each lay this format out their own way: no buffer has both layouts";
	case RejectReason::QuotaExceeded:
		return plane == 0 ? stringf("%llu buffers held with this request, above the %llu %s allows", v, l, who.c_str())
				  : byteCount(v) + " held with this request, above the " + byteCount(l) + " " + who + " allows";
	}
	return "unknown reason";
}

RejectReason Refusal::reason() const
{
	// A format or allocator the caller could avoid says less than what stopped the rest.
	auto avoidable = [](RejectReason r) {
		return r == RejectReason::CpuOnly || r == RejectReason::ModifierNotMade ||
		       r == RejectReason::AllocatorNotAllowed;
	};
	for (const Rejection &r : rejections)
		if (!avoidable(r.reason))
			return r.reason;
	return rejections.empty() ? RejectReason::None : rejections.front().reason;
}

std::string Refusal::toString() const
{
	// Candidates refused for the same reason, by the same participants, with the same
	// values, are told once: "a, b, c: why; d: other why".
	std::vector<std::pair<const Rejection *, std::vector<std::string>>> groups;
	for (const Rejection &r : rejections) {
		auto same = [&](const auto &g) {
			const Rejection &o = *g.first;
			return o.reason == r.reason && o.setBy == r.setBy && o.value == r.value && o.limit == r.limit &&
			       o.plane == r.plane;
		};
		auto g = std::find_if(groups.begin(), groups.end(), same);
		if (g == groups.end())
			groups.push_back({&r, {r.subject()}});
		else if (std::find(g->second.begin(), g->second.end(), r.subject()) == g->second.end())
			g->second.push_back(r.subject());
	}
	std::vector<std::string> parts;
	for (const auto &[r, subjects] : groups) {
		const std::string who = joined(subjects);
		parts.push_back(who.empty() ? r->why() : who + ": " + r->why());
	}
	std::string out = subject + ": " + joined(parts, "; ");
	if (!fix.empty())
		out += "; to fix: " + fix;
	return out;
}

} // namespace hbm
