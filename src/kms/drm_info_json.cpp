// SPDX-License-Identifier: MIT
// DeviceSnapshot from and to the JSON `drm_info -j` prints (drm_info 2.4): one object keyed
// by device node, each holding driver (name, caps), fb_size, crtcs and planes (id,
// possible_crtcs, formats, properties.type.raw_value, properties.IN_FORMATS.data[] of
// {modifier, formats[]}). Parsed with nlohmann/json; every refusal names the file, the
// place (a jq path, or line:column for text that is not JSON) and what was expected.
#include <hbm/device_snapshot.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <sys/sysmacros.h>

#include <drm_fourcc.h>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/string_format.hpp"

namespace hbm {
namespace {

using Json = nlohmann::json;

// The kernel's limits (drivers/gpu/drm/drm_plane.c, Linux 6.12, __drm_universal_plane_init):
// "plane index is used with 32bit bitmasks" and "each format is encoded as a bit and the
// current code only supports a u64" (IN_FORMATS' struct drm_format_modifier).
constexpr size_t kMaxPlanes = 32;
constexpr size_t kMaxFormats = 64;
// The kernel sets no limit on a plane's modifier list; the longest in Linux 6.12 (amdgpu's
// GFX9+ lists) are under a hundred. hbm's own bound, far above any driver's.
constexpr size_t kMaxModifiers = 1024;
constexpr size_t kMaxText = 16u << 20;

/// Where in the file, as jq writes a path: ."/dev/dri/card0".planes[3].formats — the place
/// a reader can paste into jq to see what hbm saw. A key that is not a plain name is written
/// as a JSON string in ASCII: JSON escapes only bytes below 0x20, so DEL and anything above
/// ASCII become \uXXXX, which jq reads back and a terminal prints as it is.
std::string child(const std::string &where, const std::string &key)
{
	bool plain = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0]));
	for (char ch : key)
		plain = plain && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
	return where + "." + (plain ? key : Json(key).dump(-1, ' ', true, Json::error_handler_t::replace));
}

std::string child(const std::string &where, size_t index)
{
	return where + "[" + std::to_string(index) + "]";
}

std::string kind(const Json &v)
{
	switch (v.type()) {
	case Json::value_t::null: return "null";
	case Json::value_t::object: return "an object";
	case Json::value_t::array: return "an array";
	case Json::value_t::string: return "a string";
	case Json::value_t::boolean: return "a boolean";
	case Json::value_t::number_integer: return "the number " + v.dump();
	case Json::value_t::number_unsigned: return "the number " + v.dump();
	case Json::value_t::number_float: return "the number " + v.dump();
	default: return "something else";
	}
}

struct Reader {
	const std::string &name;

	Error wrong(const std::string &where, const std::string &expected, const Json *found) const
	{
		return makeError(EINVAL, "%s: %s: expected %s%s", name.c_str(), where.empty() ? "." : where.c_str(),
				 expected.c_str(), found ? (", found " + kind(*found)).c_str() : ", found nothing");
	}

	/// @object[@key], which must be there and be an object / array.
	Result<const Json *> member(const Json &object, const std::string &where, const std::string &key,
				    Json::value_t type, const char *expected) const
	{
		auto it = object.find(key);
		if (it == object.end())
			return wrong(child(where, key), expected, nullptr);
		if (it->type() != type)
			return wrong(child(where, key), expected, &*it);
		return &*it;
	}

	Result<uint64_t> number(const Json &v, const std::string &where, uint64_t max, const char *expected) const
	{
		if (v.is_number_unsigned() && v.get<uint64_t>() <= max)
			return v.get<uint64_t>();
		if (v.is_number_integer() && v.get<int64_t>() >= 0 && uint64_t(v.get<int64_t>()) <= max)
			return uint64_t(v.get<int64_t>());
		return wrong(where, expected, &v);
	}

	Result<uint64_t> numberAt(const Json &object, const std::string &where, const std::string &key, uint64_t max,
				  const char *expected) const
	{
		auto it = object.find(key);
		if (it == object.end())
			return wrong(child(where, key), expected, nullptr);
		return number(*it, child(where, key), max, expected);
	}

	Result<PlaneSnapshot> plane(const Json &v, const std::string &where) const
	{
		if (!v.is_object())
			return wrong(where, "a plane (an object with id, possible_crtcs, formats, properties)", &v);
		PlaneSnapshot p;
		auto id = numberAt(v, where, "id", UINT32_MAX, "a plane id (a whole number up to 4294967295)");
		if (!id)
			return id.error();
		p.id = uint32_t(*id);
		auto crtcs = numberAt(v, where, "possible_crtcs", UINT32_MAX, "a CRTC bit mask (a whole number)");
		if (!crtcs)
			return crtcs.error();
		p.possibleCrtcs = uint32_t(*crtcs);
		auto formats = member(v, where, "formats", Json::value_t::array, "the plane's formats (an array of fourccs)");
		if (!formats)
			return formats.error();
		const std::string formatsAt = child(where, "formats");
		if ((*formats)->empty())
			return wrong(formatsAt, "at least one format (a plane scans out something)", *formats);
		if ((*formats)->size() > kMaxFormats)
			return makeError(EINVAL, "%s: %s: %zu formats, more than the %zu the kernel allows a plane "
						 "(drm_plane.c: each format is a bit of a u64)",
					 name.c_str(), formatsAt.c_str(), (*formats)->size(), kMaxFormats);
		for (size_t i = 0; i < (*formats)->size(); ++i) {
			auto f = number((**formats)[i], child(formatsAt, i), UINT32_MAX, "a fourcc (a 32-bit whole number)");
			if (!f)
				return f.error();
			p.formats.push_back(uint32_t(*f));
		}
		auto props = member(v, where, "properties", Json::value_t::object, "the plane's properties (an object)");
		if (!props)
			return props.error();
		const std::string propsAt = child(where, "properties");
		auto type = member(**props, propsAt, "type", Json::value_t::object, "the plane's type property (an object)");
		if (!type)
			return type.error();
		auto raw = numberAt(**type, child(propsAt, "type"), "raw_value", 2,
				    "a plane type: 0 overlay, 1 primary, 2 cursor");
		if (!raw)
			return raw.error();
		p.type = PlaneType(*raw);
		auto in = (*props)->find("IN_FORMATS");
		if (in == (*props)->end())
			return p;
		const std::string inAt = child(propsAt, "IN_FORMATS");
		if (!in->is_object())
			return wrong(inAt, "IN_FORMATS (an object with data)", &*in);
		auto data = member(*in, inAt, "data", Json::value_t::array, "IN_FORMATS data (an array of {modifier, formats})");
		if (!data)
			return data.error();
		const std::string dataAt = child(inAt, "data");
		if ((*data)->size() > kMaxModifiers)
			return makeError(EINVAL, "%s: %s: %zu modifiers, more than the %zu hbm reads for one plane (the kernel "
						 "sets no limit; no driver of Linux 6.12 lists a hundred)",
					 name.c_str(), dataAt.c_str(), (*data)->size(), kMaxModifiers);
		p.hasInFormats = true;
		const std::set<uint32_t> listed(p.formats.begin(), p.formats.end());
		std::set<uint64_t> seen;
		for (size_t i = 0; i < (*data)->size(); ++i) {
			const Json &entry = (**data)[i];
			const std::string entryAt = child(dataAt, i);
			if (!entry.is_object())
				return wrong(entryAt, "a modifier entry (an object with modifier and formats)", &entry);
			auto modifier = numberAt(entry, entryAt, "modifier", UINT64_MAX, "a modifier (a 64-bit whole number)");
			if (!modifier)
				return modifier.error();
			if (*modifier == DRM_FORMAT_MOD_INVALID)
				return makeError(EINVAL, "%s: %s: DRM_FORMAT_MOD_INVALID, which the kernel never lists in IN_FORMATS",
						 name.c_str(), child(entryAt, "modifier").c_str());
			if (!seen.insert(*modifier).second)
				return makeError(EINVAL, "%s: %s: modifier 0x%016llx listed twice", name.c_str(),
						 child(entryAt, "modifier").c_str(), (unsigned long long)*modifier);
			auto fs = member(entry, entryAt, "formats", Json::value_t::array, "the formats of this modifier (an array)");
			if (!fs)
				return fs.error();
			if ((*fs)->size() > kMaxFormats)
				return makeError(EINVAL, "%s: %s: %zu formats for one modifier, more than the %zu the kernel's "
							 "IN_FORMATS can hold (a u64 bit mask)",
						 name.c_str(), child(entryAt, "formats").c_str(), (*fs)->size(), kMaxFormats);
			for (size_t j = 0; j < (*fs)->size(); ++j) {
				const std::string at = child(child(entryAt, "formats"), j);
				auto f = number((**fs)[j], at, UINT32_MAX, "a fourcc (a 32-bit whole number)");
				if (!f)
					return f.error();
				if (!listed.count(uint32_t(*f)))
					return makeError(EINVAL, "%s: %s: format 0x%08x is not in the plane's formats (IN_FORMATS "
								 "indexes that list)",
							 name.c_str(), at.c_str(), unsigned(*f));
				p.inFormats.emplace_back(uint32_t(*f), *modifier);
			}
		}
		return p;
	}

	Result<DeviceSnapshot> device(const Json &v, const std::string &node) const
	{
		const std::string where = child("", node);
		if (!v.is_object())
			return wrong(where, "a device (an object with driver, fb_size and planes)", &v);
		DeviceSnapshot s;
		s.origin = name + ": " + node;
		s.node = node;
		auto driver = member(v, where, "driver", Json::value_t::object, "the driver (an object with name and caps)");
		if (!driver)
			return driver.error();
		auto driverName = (*driver)->find("name");
		if (driverName == (*driver)->end() || !driverName->is_string() || driverName->get<std::string>().empty())
			return wrong(child(child(where, "driver"), "name"), "the kernel driver's name (a string)",
				     driverName == (*driver)->end() ? nullptr : &*driverName);
		s.driver = driverName->get<std::string>();
		auto caps = (*driver)->find("caps");
		if (caps != (*driver)->end()) {
			const std::string capsAt = child(child(where, "driver"), "caps");
			if (!caps->is_object())
				return wrong(capsAt, "the driver's caps (an object)", &*caps);
			const auto cap = [&](const char *key, uint64_t max, uint64_t &out) -> Result<void> {
				if (caps->find(key) == caps->end())
					return {};
				auto n = numberAt(*caps, capsAt, key, max, "a whole number");
				if (!n)
					return n.error();
				out = *n;
				return {};
			};
			uint64_t w = 0, h = 0, modifiers = 0;
			for (auto r : {cap("CURSOR_WIDTH", 65536, w), cap("CURSOR_HEIGHT", 65536, h),
				       cap("ADDFB2_MODIFIERS", 1, modifiers)})
				if (!r)
					return r.error();
			s.cursorWidth = uint32_t(w);
			s.cursorHeight = uint32_t(h);
			s.addFb2Modifiers = modifiers != 0;
		}
		auto fb = member(v, where, "fb_size", Json::value_t::object, "fb_size (an object with max_width, max_height)");
		if (!fb)
			return fb.error();
		auto maxW = numberAt(**fb, child(where, "fb_size"), "max_width", 1u << 20, "a width in pixels");
		if (!maxW)
			return maxW.error();
		auto maxH = numberAt(**fb, child(where, "fb_size"), "max_height", 1u << 20, "a height in pixels");
		if (!maxH)
			return maxH.error();
		s.maxWidth = uint32_t(*maxW);
		s.maxHeight = uint32_t(*maxH);
		auto planes = member(v, where, "planes", Json::value_t::array, "the planes (an array)");
		if (!planes)
			return planes.error();
		if ((*planes)->size() > kMaxPlanes)
			return makeError(EINVAL, "%s: %s: %zu planes, more than the %zu the kernel allows a device "
						 "(drm_plane.c: plane indices are bits of a u32)",
					 name.c_str(), child(where, "planes").c_str(), (*planes)->size(), kMaxPlanes);
		for (size_t i = 0; i < (*planes)->size(); ++i) {
			auto p = plane((**planes)[i], child(child(where, "planes"), i));
			if (!p)
				return p.error();
			s.planes.push_back(std::move(*p));
		}
		// A dump has no st_rdev: a primary node's minor is its number (drivers/gpu/drm/drm_drv.c).
		unsigned card = 0;
		char tail = 0;
		if (sscanf(node.c_str(), "/dev/dri/card%u%c", &card, &tail) == 1 && card < 64)
			s.device = SnapshotFact<dev_t>{makedev(226, card), "226:" + std::to_string(card) + ", the primary node " +
										   node + "'s number (a dump has no st_rdev)"};
		return s;
	}
};

/// line:column of byte @offset in @text.
std::string lineColumn(std::string_view text, size_t offset)
{
	offset = std::min(offset, text.size());
	size_t line = 1, column = 1;
	for (size_t i = 0; i < offset; ++i) {
		if (text[i] == '\n') {
			++line;
			column = 1;
		} else {
			++column;
		}
	}
	return std::to_string(line) + ":" + std::to_string(column);
}

} // namespace

Result<std::vector<DeviceSnapshot>> parseDrmInfo(std::string_view text, const std::string &name)
{
	if (text.size() > kMaxText)
		return makeError(EFBIG, "%s: %zu bytes, more than the %zu MiB a drm_info dump of any machine needs", name.c_str(),
				 text.size(), kMaxText >> 20);
	Json root;
	try {
		root = Json::parse(text);
	} catch (const Json::parse_error &e) {
		// e.what(): "[json.exception.parse_error.101] parse error at line 1, column 2: …"
		std::string why = e.what();
		if (auto colon = why.find(": "); colon != std::string::npos)
			why = why.substr(colon + 2);
		// nlohmann quotes the bytes it last read, raw: they may be anything. The place
		// (line:column) says where; keep the sentence printable.
		if (auto quote = why.find("; last read: '"); quote != std::string::npos) {
			auto end = why.find("'; ", quote + 14);
			why.erase(quote, end == std::string::npos ? std::string::npos : end + 1 - quote);
		}
		for (char &ch : why)
			if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f)
				ch = '?';
		return makeError(EINVAL, "%s:%s: not JSON (drm_info -j prints JSON): %s", name.c_str(),
				 lineColumn(text, e.byte ? e.byte - 1 : 0).c_str(), why.c_str());
	} catch (const Json::exception &e) {
		// The parser's other refusals (out_of_range.406: a number no double holds, found by
		// fuzz-drm_info) carry no position: "[json.exception.out_of_range.406] number
		// overflow parsing '1e999'". The number is quoted raw, kept printable as above.
		std::string why = e.what();
		if (auto bracket = why.find("] "); bracket != std::string::npos)
			why = why.substr(bracket + 2);
		if (why.size() > 120)
			why = why.substr(0, 117) + "...";
		for (char &ch : why)
			if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f)
				ch = '?';
		return makeError(EINVAL, "%s: not a drm_info dump: %s", name.c_str(), why.c_str());
	}
	Reader reader{name};
	if (!root.is_object())
		return reader.wrong("", "drm_info -j's object keyed by device node (\"/dev/dri/card0\": {…})", &root);
	std::vector<DeviceSnapshot> out;
	for (auto it = root.begin(); it != root.end(); ++it) {
		if (it.key().rfind("/dev/", 0) != 0)
			continue; // not a device: drm_info prints none; the corpus's "source"
		auto device = reader.device(it.value(), it.key());
		if (!device)
			return device.error();
		out.push_back(std::move(*device));
	}
	if (out.empty())
		return makeError(EINVAL, "%s: .: expected at least one device keyed by its node (\"/dev/dri/card0\"), found none",
				 name.c_str());
	return out;
}

Result<std::vector<DeviceSnapshot>> readDrmInfo(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return makeError(errno ? errno : ENOENT, "cannot read %s", path.c_str());
	std::string text;
	char chunk[65536];
	while (in.read(chunk, sizeof(chunk)) || in.gcount() > 0) {
		text.append(chunk, size_t(in.gcount()));
		if (text.size() > kMaxText)
			return makeError(EFBIG, "%s: more than the %zu MiB a drm_info dump of any machine needs", path.c_str(),
					 kMaxText >> 20);
	}
	return parseDrmInfo(text, path);
}

std::string toDrmInfoJson(const std::vector<DeviceSnapshot> &snapshots)
{
	Json root = Json::object();
	for (const DeviceSnapshot &s : snapshots) {
		Json planes = Json::array();
		for (const PlaneSnapshot &p : s.planes) {
			Json props = Json::object();
			props["type"] = {{"raw_value", uint32_t(p.type)}};
			if (p.hasInFormats) {
				// drm_info's form: one entry per modifier, in the blob's order.
				Json data = Json::array();
				std::vector<uint64_t> order;
				for (const auto &pair : p.inFormats)
					if (std::find(order.begin(), order.end(), pair.second) == order.end())
						order.push_back(pair.second);
				for (uint64_t m : order) {
					Json formats = Json::array();
					for (const auto &[f, mod] : p.inFormats)
						if (mod == m)
							formats.push_back(f);
					data.push_back({{"modifier", m}, {"formats", formats}});
				}
				props["IN_FORMATS"] = {{"data", data}};
			}
			planes.push_back({{"id", p.id}, {"possible_crtcs", p.possibleCrtcs}, {"formats", p.formats},
					  {"properties", props}});
		}
		Json device = {
			{"driver",
			 {{"name", s.driver},
			  {"caps",
			   {{"CURSOR_WIDTH", s.cursorWidth}, {"CURSOR_HEIGHT", s.cursorHeight},
			    {"ADDFB2_MODIFIERS", s.addFb2Modifiers ? 1 : 0}}}}},
			{"fb_size", {{"max_width", s.maxWidth}, {"max_height", s.maxHeight}}},
			{"planes", planes},
		};
		Json facts = Json::object();
		if (s.behindIommu)
			facts["iommu"] = {{"value", s.behindIommu->value}, {"source", s.behindIommu->source}};
		if (s.ownMemoryOnly)
			facts["imports_only_own_memory"] = {{"value", s.ownMemoryOnly->value}, {"source", s.ownMemoryOnly->source}};
		if (!facts.empty())
			device["x_hbm"] = facts;
		root[s.node] = device;
	}
	return root.dump(1) + "\n";
}

} // namespace hbm
