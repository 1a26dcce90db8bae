// SPDX-License-Identifier: MIT
// The hbm command: what this machine offers, and what hbm would do for a request.
//
//   hbm info [--json | --drm-info]
//   hbm plan WIDTHxHEIGHT FORMAT[,FORMAT…] [--kind K] [--plane DRIVER:TYPE]… [--participant NAME]…
//            [--declare NAME:FORMATS[:MODIFIERS]]… [--json]
//   hbm plan --device FILE.json[:NODE] WIDTHxHEIGHT FORMAT[,FORMAT…] [--plane TYPE|ID]… [--iommu | --no-iommu]
//            [--own-memory-only] [--cma-size SIZE] [--participant NAME]… [--declare …]… [--json]
//   hbm alloc WIDTHxHEIGHT FORMAT[,FORMAT…] [same options, no --device] [--allocator NAME] [--json]
//
// --plane vkms:primary adds that KMS plane (probed from IN_FORMATS) as a participant;
// --participant adds one declared in the configuration, --declare one from the command
// line. --device plans for the machine a drm_info -j dump describes, against a model of its
// allocators (docs/man/hbm.1): nothing is allocated. --drm-info prints this machine's KMS
// devices as drm_info -j does. Uses libhbm's public API only; replaying traces is the
// uninstalled hbm-replay's (tools/hbm_replay.cpp), over the rig.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <drm_fourcc.h>
#include <nlohmann/json.hpp>

#include <hbm/device_snapshot.hpp>
#include <hbm/hbm.hpp>

#include "cli.hpp"

using json = nlohmann::ordered_json;
using namespace hbm::cli;

namespace {

/// The usage text: on stdout with status 0 when asked for (--help), on stderr with status 2
/// after a command line hbm does not understand.
int usage(bool asked = false)
{
	std::fprintf(asked ? stdout : stderr,
		     "usage: hbm info [--json | --drm-info]\n"
		     "       hbm plan WIDTHxHEIGHT FORMAT[,FORMAT...] [--kind K] [--plane DRIVER:primary|overlay|cursor]...\n"
		     "                [--participant NAME]... [--declare NAME:FORMAT[,...][:MODIFIER[,...]]]... [--json]\n"
		     "       hbm plan --device FILE.json[:NODE] WIDTHxHEIGHT FORMAT[,FORMAT...] [--plane primary|overlay|cursor|ID]...\n"
		     "                [--iommu | --no-iommu] [--own-memory-only] [--cma-size SIZE] [--participant NAME]...\n"
		     "                [--declare ...]... [--json]\n"
		     "       hbm alloc WIDTHxHEIGHT FORMAT[,FORMAT...] [same options, no --device] [--allocator NAME] [--json]\n");
	return asked ? 0 : 2;
}

/// "WIDTHxHEIGHT", each a 32-bit number (negotiation says which sizes hbm takes).
std::optional<std::pair<uint32_t, uint32_t>> parseDimensions(std::string_view text)
{
	const size_t x = text.find('x');
	if (x == std::string_view::npos)
		return std::nullopt;
	auto width = parseNumber(text.substr(0, x), UINT32_MAX), height = parseNumber(text.substr(x + 1), UINT32_MAX);
	if (!width || !height)
		return std::nullopt;
	return std::pair{uint32_t(*width), uint32_t(*height)};
}

json formatsJson(const hbm::FormatSet &set)
{
	json out = json::object();
	for (const auto &entry : set.entries()) {
		json mods = json::array();
		for (uint64_t m : entry.modifiers)
			mods.push_back(hbm::modifierName(m));
		out[hbm::formatName(entry.format)] = mods;
	}
	return out;
}

/// What participants require of the memory (a plan's placement is their requirement, not
/// what the buffer turns out to be).
json placementJson(const hbm::Placement &p)
{
	return {{"contiguous", p.contiguous},
		{"address_limit", p.addressLimit},
		{"cached", p.cached ? json(*p.cached) : json(nullptr)}};
}

json participantJson(const hbm::Participant &p)
{
	const hbm::Constraints &c = p.constraints;
	return {{"name", p.name()},
		{"source", p.source},
		{"formats", formatsJson(c.formats)},
		{"max_width", c.maxWidth},
		{"max_height", c.maxHeight},
		{"stride_alignment", c.strideAlignment},
		{"contiguous", c.placement.contiguous},
		{"address_limit", c.placement.addressLimit}};
}

/// This machine's KMS devices as drm_info -j prints them (where the facts overlap).
std::string drmInfoOfThisMachine()
{
	std::vector<hbm::DeviceSnapshot> snapshots;
	for (const hbm::DrmCard &card : hbm::listDrmCards()) {
		auto dev = hbm::KmsDevice::open(card.node);
		if (!dev)
			continue;
		if (auto s = (*dev)->snapshot())
			snapshots.push_back(std::move(*s));
	}
	return hbm::toDrmInfoJson(snapshots);
}

int info(hbm::Context &ctx, bool asJson)
{
	json out = document();
	json allocators = json::array();
	for (const hbm::AllocatorInfo &a : ctx.allocators())
		allocators.push_back({{"name", a.name},
				      {"kind", hbm::allocatorKindName(a.kind)},
				      {"device_importable", a.deviceImportable},
				      {"contiguous", a.contiguous},
				      {"cached", a.cached},
				      {"drm_device", a.drmDevice},
				      {"max_size", a.maxSize},
				      {"memory_end", a.memoryEnd},
				      {"formats", a.formats.formatCount()}});
	out["allocators"] = allocators;
	out["probe_notes"] = ctx.probeNotes();

	json devices = json::array();
	std::vector<hbm::DeviceSnapshot> snapshots; // read once: the planes and drm_info's form
	for (const hbm::DrmCard &card : hbm::listDrmCards()) {
		auto dev = hbm::KmsDevice::open(card.node);
		if (!dev) {
			// Not a display (vgem has no planes), or not ours to open: still say what it is.
			devices.push_back({{"path", card.node},
					   {"driver", card.driver.empty() ? json(nullptr) : json(card.driver)},
					   {"error", card.error.empty() ? dev.error().toString() : card.error}});
			continue;
		}
		auto snapshot = (*dev)->snapshot(ctx);
		json planeList = json::array();
		if (snapshot)
			for (const hbm::Participant &p : hbm::planeParticipants(*snapshot))
				planeList.push_back(participantJson(p));
		devices.push_back({{"path", card.node},
				   {"driver", (*dev)->driverName()},
				   {"behind_iommu", snapshot && snapshot->behindIommu && snapshot->behindIommu->value},
				   {"planes", planeList}});
		if (snapshot)
			snapshots.push_back(std::move(*snapshot));
	}
	out["drm_devices"] = devices;
	out["drm_info"] = json::parse(hbm::toDrmInfoJson(snapshots));

	json videos = json::array();
	for (const std::string &node : hbm::V4l2Device::nodes()) {
		auto dev = hbm::V4l2Device::open(node);
		if (!dev)
			continue;
		json queues = json::array();
		for (auto queue : {hbm::V4l2Queue::Capture, hbm::V4l2Queue::Output}) {
			auto p = (*dev)->participant(queue, 1920, 1080);
			if (p)
				queues.push_back(participantJson(*p));
		}
		videos.push_back({{"path", node},
				  {"driver", (*dev)->driverName()},
				  {"card", (*dev)->cardName()},
				  {"queues", queues}});
	}
	out["v4l2_devices"] = videos;

	const hbm::Config &config = ctx.config();
	json declared = json::array();
	for (const hbm::Participant &p : config.participants)
		declared.push_back(participantJson(p));
	json kinds = json::object();
	for (const hbm::KindConfig &k : config.kinds)
		kinds[k.name] = k.allocators;
	out["configuration"] = {{"origin", config.origin},
				{"heaps", config.heaps.size()},
				{"device_rules", config.rules.size()},
				{"participants", declared},
				{"kinds", kinds}};
	if (asJson) {
		std::printf("%s\n", out.dump(2).c_str());
		return 0;
	}

	std::printf("allocators, in the order hbm tries them:\n");
	for (const hbm::AllocatorInfo &a : ctx.allocators())
		std::printf("  %-22s %-8s %s%s%s%s\n", a.name.c_str(), hbm::allocatorKindName(a.kind),
			    a.deviceImportable ? "dma-buf" : "CPU only", a.contiguous ? ", contiguous" : "",
			    a.cached ? "" : ", uncached",
			    a.drmDevice.empty() ? "" : (", on " + a.drmDevice).c_str());
	for (const std::string &note : ctx.probeNotes())
		std::printf("  (left out: %s)\n", note.c_str());
	for (const json &d : devices) {
		std::printf("%s (%s)%s\n", d["path"].get<std::string>().c_str(),
			    d["driver"].is_null() ? "driver unknown" : d["driver"].get<std::string>().c_str(),
			    d.contains("error") ? (": " + d["error"].get<std::string>()).c_str()
						: d["behind_iommu"].get<bool>() ? ", behind an IOMMU" : ", no IOMMU");
		if (!d.contains("planes"))
			continue;
		for (const json &p : d["planes"]) {
			std::printf("  %s: up to %ux%u%s\n", p["name"].get<std::string>().c_str(),
				    p["max_width"].get<unsigned>(), p["max_height"].get<unsigned>(),
				    p["contiguous"].get<bool>() ? ", needs contiguous memory" : "");
			std::string formats;
			for (const auto &[name, mods] : p["formats"].items())
				formats += (formats.empty() ? "" : " ") + name.substr(0, name.find(' '));
			std::printf("    %s\n", formats.c_str());
		}
	}
	for (const json &v : videos) {
		std::printf("%s (%s, %s)\n", v["path"].get<std::string>().c_str(), v["driver"].get<std::string>().c_str(),
			    v["card"].get<std::string>().c_str());
		for (const json &q : v["queues"]) {
			std::string formats;
			for (const auto &[name, mods] : q["formats"].items())
				formats += (formats.empty() ? "" : " ") + name.substr(0, name.find(' '));
			std::printf("  %s: %s\n", q["name"].get<std::string>().c_str(), formats.c_str());
		}
	}
	std::printf("configuration: %s (%zu heaps, %zu device rules, %zu declared participants, %zu kinds)\n",
		    config.origin.c_str(), config.heaps.size(), config.rules.size(), config.participants.size(),
		    config.kinds.size());
	return 0;
}

struct PlanArgs {
	hbm::Request request;
	std::vector<hbm::Participant> participants;
	std::string allocator;
	bool json = false;
	// --device: the snapshot planned for, its model and the facts declared for it.
	std::optional<hbm::DeviceSnapshot> device;
	hbm::SnapshotModel model;
	hbm::DeclaredDeviceFacts facts;
	std::vector<std::string> facts_said; ///< the options that declared them
};

/// A modifier on the command line: LINEAR, INVALID or a number (0x… or decimal).
std::optional<uint64_t> parseModifier(const std::string &text)
{
	if (text == "LINEAR")
		return DRM_FORMAT_MOD_LINEAR;
	if (text == "INVALID")
		return DRM_FORMAT_MOD_INVALID;
	if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) {
		uint64_t value = 0;
		auto [stop, error] = std::from_chars(text.data() + 2, text.data() + text.size(), value, 16);
		if (error == std::errc() && stop == text.data() + text.size() && text.size() > 2)
			return value;
		return std::nullopt;
	}
	return parseNumber(text, UINT64_MAX);
}

std::vector<std::string> split(const std::string &text, char separator)
{
	std::vector<std::string> out;
	for (size_t pos = 0;;) {
		size_t next = text.find(separator, pos);
		out.push_back(text.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
		if (next == std::string::npos)
			return out;
		pos = next + 1;
	}
}

/// --declare NAME:FORMAT[,FORMAT…][:MODIFIER[,MODIFIER…]] (modifiers LINEAR when none).
std::optional<hbm::Participant> parseDeclared(const std::string &spec, std::string *error)
{
	const std::vector<std::string> parts = split(spec, ':');
	if (parts.size() < 2 || parts.size() > 3 || parts[0].empty()) {
		*error = "--declare " + spec + ": expected NAME:FORMAT[,FORMAT...][:MODIFIER[,MODIFIER...]]";
		return std::nullopt;
	}
	std::vector<uint32_t> formats;
	for (const std::string &name : split(parts[1], ',')) {
		const hbm::FormatInfo *f = hbm::findFormatByName(name);
		if (!f) {
			*error = "--declare " + spec + ": unknown format '" + name + "'";
			return std::nullopt;
		}
		formats.push_back(f->fourcc);
	}
	std::vector<uint64_t> modifiers;
	for (const std::string &text : parts.size() == 3 ? split(parts[2], ',') : std::vector<std::string>{"LINEAR"}) {
		auto m = parseModifier(text);
		if (!m) {
			*error = "--declare " + spec + ": '" + text + "' is not a modifier (LINEAR, INVALID or a number)";
			return std::nullopt;
		}
		modifiers.push_back(*m);
	}
	hbm::FormatSet set;
	for (uint32_t f : formats)
		for (uint64_t m : modifiers)
			set.add(f, m);
	hbm::Participant p = hbm::declaredParticipant(parts[0], set);
	p.source = "the command line (--declare " + spec + ")";
	return p;
}

/// The snapshot of --device FILE[:NODE]: the file's first device, or NODE's.
hbm::Result<hbm::DeviceSnapshot> loadDevice(const std::string &spec)
{
	const size_t colon = spec.find(":/dev/");
	const std::string path = spec.substr(0, colon);
	auto devices = hbm::readDrmInfo(path);
	if (!devices)
		return devices.error();
	if (colon == std::string::npos)
		return devices->front();
	const std::string node = spec.substr(colon + 1);
	for (hbm::DeviceSnapshot &d : *devices)
		if (d.node == node)
			return std::move(d);
	return hbm::Error{ENOENT, path + " describes no device " + node};
}

/// The plane of @snapshot's participants that --plane @spec names: a type or a plane id.
std::optional<hbm::Participant> snapshotPlane(const std::vector<hbm::Participant> &planes, const std::string &spec)
{
	const std::optional<uint64_t> id = parseNumber(spec, UINT32_MAX);
	for (const hbm::Participant &p : planes) {
		const auto *plane = std::get_if<hbm::KmsPlaneIdentity>(&p.identity);
		if (!plane)
			continue;
		if (id ? plane->planeId == *id
		       : (spec == "primary" && plane->type == hbm::PlaneType::Primary) ||
				 (spec == "overlay" && plane->type == hbm::PlaneType::Overlay) ||
				 (spec == "cursor" && plane->type == hbm::PlaneType::Cursor))
			return p;
	}
	return std::nullopt;
}

/// Parses "WIDTHxHEIGHT FORMAT,... [options]" into a request and participants.
int parsePlanArgs(hbm::Context &ctx, int argc, char **argv, PlanArgs *out,
		  std::vector<std::shared_ptr<hbm::KmsDevice>> *keep)
{
	for (int i = 0; i < argc; ++i)
		if (std::string(argv[i]) == "--json")
			out->json = true;
	// --device first, wherever it is: --plane then names the snapshot's planes. The
	// positional arguments are what is left.
	std::vector<char *> rest;
	for (int i = 0; i < argc; ++i) {
		if (std::string(argv[i]) == "--device" && i + 1 < argc) {
			auto device = loadDevice(argv[++i]);
			if (!device)
				return fail(device.error().message, out->json);
			out->device = std::move(*device);
			continue;
		}
		rest.push_back(argv[i]);
	}
	argc = int(rest.size());
	argv = rest.data();
	if (argc < 2)
		return usage();
	auto size = parseDimensions(argv[0]);
	if (!size)
		return fail(std::string("'") + argv[0] + "' is not WIDTHxHEIGHT (two numbers up to 4294967295)", out->json);
	std::tie(out->request.width, out->request.height) = *size;
	std::string formats = argv[1];
	for (size_t pos = 0; pos <= formats.size();) {
		size_t comma = formats.find(',', pos);
		std::string name = formats.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
		const hbm::FormatInfo *f = hbm::findFormatByName(name);
		if (!f)
			return fail("unknown format '" + name + "' (drm_fourcc.h names: XRGB8888, NV12 …)", out->json);
		out->request.formats.push_back(f->fourcc);
		if (comma == std::string::npos)
			break;
		pos = comma + 1;
	}
	std::vector<std::string> snapshotPlanes;
	bool cmaSizeSaid = false;
	for (int i = 2; i < argc; ++i) {
		std::string arg = argv[i];
		if (arg == "--json")
			continue;
		if (arg == "--iommu" || arg == "--no-iommu") {
			out->facts.behindIommu = arg == "--iommu";
			out->facts_said.push_back(arg);
			continue;
		}
		if (arg == "--own-memory-only") {
			out->facts.ownMemoryOnly = true;
			out->facts_said.push_back(arg);
			continue;
		}
		if (i + 1 >= argc)
			return usage();
		std::string value = argv[++i];
		if (arg == "--device") {
			continue; // read before the loop
		} else if (arg == "--cma-size") {
			cmaSizeSaid = true;
			auto bytes = value == "0" ? std::optional<uint64_t>(0) : parseSize(value);
			if (!bytes)
				return fail("--cma-size " + value + ": a size in bytes, or with K, M or G (0: no CMA heap)", out->json);
			out->model.cmaBytes = *bytes;
		} else if (arg == "--declare") {
			std::string error;
			auto p = parseDeclared(value, &error);
			if (!p)
				return fail(error, out->json);
			out->participants.push_back(std::move(*p));
		} else if (arg == "--plane" && out->device) {
			snapshotPlanes.push_back(value);
		} else if (arg == "--kind") {
			out->request.kind = value;
		} else if (arg == "--allocator") {
			out->allocator = value;
		} else if (arg == "--participant") {
			auto p = ctx.declaredParticipant(value);
			if (!p)
				return fail(p.error().message, out->json);
			out->participants.push_back(*p);
		} else if (arg == "--plane") {
			size_t colon = value.find(':');
			std::string driver = value.substr(0, colon), type = colon == std::string::npos ? "primary" : value.substr(colon + 1);
			auto dev = hbm::KmsDevice::openByDriver(driver);
			if (!dev)
				return fail(dev.error().message, out->json);
			auto planes = (*dev)->planeParticipants(ctx);
			if (!planes)
				return fail(planes.error().message, out->json);
			const hbm::PlaneType kind = type == "cursor"    ? hbm::PlaneType::Cursor
						    : type == "overlay" ? hbm::PlaneType::Overlay
									: hbm::PlaneType::Primary;
			if (type != "primary" && type != "cursor" && type != "overlay")
				return fail("--plane " + value + ": the plane type is primary, overlay or cursor", out->json);
			const hbm::Participant *found = hbm::findPlane(*planes, kind);
			if (!found)
				return fail("no " + type + " plane on " + (*dev)->path(), out->json);
			out->participants.push_back(*found);
			keep->push_back(*dev);
		} else {
			return usage();
		}
	}
	if (!out->device) {
		if (!out->facts_said.empty())
			return fail(out->facts_said.front() + " declares a fact of a --device snapshot; there is none", out->json);
		if (cmaSizeSaid)
			return fail("--cma-size models a --device snapshot's CMA heap; there is none", out->json);
		return 0;
	}
	if (!out->request.kind.empty())
		return fail("--kind names this machine's configured allocators; a --device snapshot's model has none",
			    out->json);
	std::string said;
	for (const std::string &option : out->facts_said)
		said += (said.empty() ? "" : " ") + option;
	hbm::declareFacts(*out->device, out->facts, "declared on the command line (" + said + ")");
	const std::vector<hbm::Participant> planes = hbm::planeParticipants(*out->device);
	for (const std::string &spec : snapshotPlanes) {
		auto p = snapshotPlane(planes, spec);
		if (!p)
			return fail("--plane " + spec + ": " + out->device->origin + " has no such plane (a type: primary, "
				    "overlay, cursor; or a plane id)", out->json);
		out->participants.insert(out->participants.begin(), std::move(*p));
	}
	return 0;
}

int planOrAlloc(hbm::Context &ctx, bool allocate, int argc, char **argv)
{
	PlanArgs args;
	std::vector<std::shared_ptr<hbm::KmsDevice>> devices;
	if (int rc = parsePlanArgs(ctx, argc, argv, &args, &devices))
		return rc;
	if (!args.allocator.empty()) {
		// --allocator is one more participant: it allows that allocator alone, and takes
		// whatever it can make. The plan stays negotiation's own. With --device, the
		// allocator is one of the snapshot's modelled ones.
		hbm::Result<hbm::FormatSet> formats = hbm::FormatSet{};
		if (args.device) {
			const auto modelled = hbm::modelledAllocators(*args.device, args.model);
			auto found = std::find_if(modelled.begin(), modelled.end(),
						  [&](const hbm::AllocatorInfo &a) { return a.name == args.allocator; });
			std::string names;
			for (const hbm::AllocatorInfo &a : modelled)
				names += (names.empty() ? "" : ", ") + a.name;
			if (found == modelled.end())
				return fail("--allocator " + args.allocator + ": the model of " + args.device->origin +
						    " has " + names,
					    args.json);
			formats = found->formats;
		} else {
			formats = ctx.allocatorFormats(args.allocator);
		}
		if (!formats)
			return fail(formats.error().toString(), args.json);
		hbm::Participant only = hbm::declaredParticipant("--allocator " + args.allocator, *formats);
		only.source = "the command line";
		only.constraints.placement.allowedAllocators = {args.allocator};
		args.participants.push_back(std::move(only));
	}
	if (args.device && allocate)
		return fail("--device plans for a snapshot's machine; nothing can be allocated for it (use hbm plan)", args.json);
	auto plan = args.device ? hbm::planOnSnapshot(*args.device, args.request, args.participants, args.model, &ctx.config())
				: ctx.negotiate(args.request, args.participants);
	if (!plan)
		return fail(plan.error().toString(), args.json);

	json out = document({{"format", hbm::formatName(plan->format())},
		    {"modifier", hbm::modifierName(plan->modifier())},
		    {"allocator", plan->allocator()},
		    {"stride_alignment", plan->linear().strideAlignment},
		    {"required", placementJson(plan->placement())},
		    {"trace", plan->trace()}});
	const hbm::ModifierPlanes memory = hbm::memoryPlanes(plan->format(), plan->modifier());
	const bool vendorLayout = plan->modifier() != DRM_FORMAT_MOD_LINEAR && plan->modifier() != DRM_FORMAT_MOD_INVALID;
	out["memory_planes"] = {{"count", memory.planes}, {"source", memory.source}};
	if (vendorLayout)
		out["laid_out_by"] = plan->allocator();
	if (args.device)
		out["modelled"] = true; // nothing allocated: the plan is bound to no allocator
	if (!args.json) {
		std::printf("plan for %ux%u:\n", plan->width(), plan->height());
		for (const std::string &line : plan->trace())
			std::printf("  %s\n", line.c_str());
		std::printf("  %s %s: %u memory plane%s (%s)%s\n", hbm::formatName(plan->format()).c_str(),
			    hbm::modifierName(plan->modifier()).c_str(), memory.planes, memory.planes == 1 ? "" : "s",
			    memory.source, vendorLayout ? (", laid out by " + plan->allocator()).c_str() : "");
		if (args.device)
			std::printf("  modelled: nothing was allocated\n");
	}
	if (allocate) {
		auto buffer = ctx.allocate(*plan);
		if (!buffer)
			return fail(buffer.error().toString(), args.json);
		// What the buffer is: the memory of the allocator that made it, which may be more
		// than the participants required (contiguous memory nobody asked for).
		const auto &allocators = ctx.allocators();
		auto made = std::find_if(allocators.begin(), allocators.end(),
					 [&](const hbm::AllocatorInfo &a) { return a.name == (*buffer)->origin(); });
		const bool contiguous = made != allocators.end() && made->contiguous;
		json planes = json::array();
		for (const hbm::PlaneLayout &p : (*buffer)->layout().planes)
			planes.push_back({{"offset", p.offset}, {"stride", p.stride}, {"size", p.size}});
		out["buffer"] = {{"origin", (*buffer)->origin()},
				 {"contiguous", contiguous},
				 {"cached", made != allocators.end() && made->cached},
				 {"device_importable", (*buffer)->deviceImportable()},
				 {"size", (*buffer)->layout().size},
				 {"planes", planes}};
		if (!args.json) {
			std::printf("allocated %llu bytes from %s%s:\n", (unsigned long long)(*buffer)->layout().size,
				    (*buffer)->origin().c_str(), contiguous ? " (physically contiguous)" : "");
			for (const hbm::PlaneLayout &p : (*buffer)->layout().planes)
				std::printf("  plane at offset %llu, stride %u, %llu bytes\n", (unsigned long long)p.offset,
					    p.stride, (unsigned long long)p.size);
		}
	}
	if (args.json)
		std::printf("%s\n", out.dump(2).c_str());
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	for (int i = 1; i < argc; ++i)
		if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h")
			return usage(true);
	std::string command = argv[1];
	bool asJson = false;
	for (int i = 2; i < argc; ++i)
		asJson |= std::string(argv[i]) == "--json";
	auto ctx = hbm::Context::create();
	if (!ctx)
		return fail(ctx.error().toString(), asJson);
	if (command == "info") {
		bool drmInfo = false;
		for (int i = 2; i < argc; ++i) {
			const std::string arg = argv[i];
			if (arg != "--json" && arg != "--drm-info")
				return usage();
			drmInfo |= arg == "--drm-info";
		}
		if (drmInfo && asJson)
			return fail("--json and --drm-info are two formats: pick one", false);
		if (drmInfo) {
			std::printf("%s", drmInfoOfThisMachine().c_str());
			return 0;
		}
		return info(**ctx, asJson);
	}
	if (command == "plan" || command == "alloc")
		return planOrAlloc(**ctx, command == "alloc", argc - 2, argv + 2);
	return usage();
}
