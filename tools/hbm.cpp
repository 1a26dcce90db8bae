// SPDX-License-Identifier: MIT
// The hbm command: what this machine offers, and what hbm would do for a request.
//
//   hbm info [--json]
//   hbm plan WIDTHxHEIGHT FORMAT[,FORMAT…] [--kind K] [--plane DRIVER:TYPE]… [--participant NAME]… [--json]
//   hbm alloc WIDTHxHEIGHT FORMAT[,FORMAT…] [same options] [--allocator NAME] [--json]
//
// --plane vkms:primary adds that KMS plane (probed from IN_FORMATS) as a participant;
// --participant adds one declared in the configuration. Uses libhbm's public API only;
// replaying traces is the uninstalled hbm-replay's (tools/hbm_replay.cpp), over the rig.
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

#include <nlohmann/json.hpp>

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
		     "usage: hbm info [--json]\n"
		     "       hbm plan WIDTHxHEIGHT FORMAT[,FORMAT...] [--kind K] [--plane DRIVER:primary|overlay|cursor]...\n"
		     "                [--participant NAME]... [--json]\n"
		     "       hbm alloc WIDTHxHEIGHT FORMAT[,FORMAT...] [same options] [--allocator NAME] [--json]\n");
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
	for (const hbm::DrmCard &card : hbm::listDrmCards()) {
		auto dev = hbm::KmsDevice::open(card.node);
		if (!dev) {
			// Not a display (vgem has no planes), or not ours to open: still say what it is.
			devices.push_back({{"path", card.node},
					   {"driver", card.driver.empty() ? json(nullptr) : json(card.driver)},
					   {"error", card.error.empty() ? dev.error().toString() : card.error}});
			continue;
		}
		auto planes = (*dev)->planeParticipants(ctx);
		json planeList = json::array();
		if (planes)
			for (const hbm::Participant &p : *planes)
				planeList.push_back(participantJson(p));
		devices.push_back({{"path", card.node},
				   {"driver", (*dev)->driverName()},
				   {"behind_iommu", (*dev)->behindIommu()},
				   {"planes", planeList}});
	}
	out["drm_devices"] = devices;

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
};

/// Parses "WIDTHxHEIGHT FORMAT,... [options]" into a request and participants.
int parsePlanArgs(hbm::Context &ctx, int argc, char **argv, PlanArgs *out,
		  std::vector<std::shared_ptr<hbm::KmsDevice>> *keep)
{
	for (int i = 0; i < argc; ++i)
		if (std::string(argv[i]) == "--json")
			out->json = true;
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
	for (int i = 2; i < argc; ++i) {
		std::string arg = argv[i];
		if (arg == "--json")
			continue;
		if (i + 1 >= argc)
			return usage();
		std::string value = argv[++i];
		if (arg == "--kind") {
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
		// whatever it can make. The plan stays negotiation's own.
		auto formats = ctx.allocatorFormats(args.allocator);
		if (!formats)
			return fail(formats.error().toString(), args.json);
		hbm::Participant only = hbm::declaredParticipant("--allocator " + args.allocator, *formats);
		only.source = "the command line";
		only.constraints.placement.allowedAllocators = {args.allocator};
		args.participants.push_back(std::move(only));
	}
	auto plan = ctx.negotiate(args.request, args.participants);
	if (!plan)
		return fail(plan.error().toString(), args.json);

	json out = document({{"format", hbm::formatName(plan->format())},
		    {"modifier", hbm::modifierName(plan->modifier())},
		    {"allocator", plan->allocator()},
		    {"stride_alignment", plan->linear().strideAlignment},
		    {"required", placementJson(plan->placement())},
		    {"trace", plan->trace()}});
	if (!args.json) {
		std::printf("plan for %ux%u:\n", plan->width(), plan->height());
		for (const std::string &line : plan->trace())
			std::printf("  %s\n", line.c_str());
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
	if (command == "info")
		return info(**ctx, asJson);
	if (command == "plan" || command == "alloc")
		return planOrAlloc(**ctx, command == "alloc", argc - 2, argv + 2);
	return usage();
}
