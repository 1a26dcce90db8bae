// SPDX-License-Identifier: MIT
// hbm-replay: a trace recorded with HBM_TRACE=FILE, replayed for latency and fragmentation
// on a simulated region or a real allocator. Measurement, not product: it is built over the
// uninstalled test rig (tests/rig) and not installed; the installed hbm command uses
// libhbm's public API only.
//
//   hbm-replay TRACE [--algorithm best-fit|first-fit] [--region-size SIZE] [--allocator NAME] [--json]
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include <hbm/hbm.hpp>
#include <hbm-test/replay.hpp>

#include "cli.hpp"

using namespace hbm::cli;

namespace {

int usage()
{
	std::fprintf(stderr, "usage: hbm-replay TRACE [--algorithm best-fit|first-fit] [--region-size SIZE] [--allocator NAME] [--json]\n"
			     "SIZE is bytes, or a number with K, M or G (64M, the default)\n"
			     "(record a trace with HBM_TRACE=FILE in any program using hbm)\n");
	return 2;
}

int replay(hbm::Context &ctx, int argc, char **argv)
{
	const bool asJson = std::find(argv, argv + argc, std::string_view("--json")) != argv + argc;
	std::string algorithm = "best-fit", allocator;
	uint64_t regionSize = 64ull << 20;
	if (argc < 1)
		return usage();
	for (int i = 1; i < argc; ++i) {
		std::string arg = argv[i];
		if (arg == "--json") {
			continue;
		} else if (i + 1 < argc && arg == "--algorithm") {
			algorithm = argv[++i];
		} else if (i + 1 < argc && arg == "--allocator") {
			allocator = argv[++i];
		} else if (i + 1 < argc && arg == "--region-size") {
			auto size = parseSize(argv[++i]);
			if (!size)
				return fail(std::string("--region-size '") + argv[i] +
						    "' is not a size (bytes, or a number with K, M or G: 64M)",
					    asJson);
			regionSize = *size;
		} else {
			return usage();
		}
	}
	FILE *file = std::fopen(argv[0], "re");
	if (!file)
		return fail(std::string("cannot read trace ") + argv[0], asJson);
	std::string text;
	char chunk[4096];
	size_t n;
	while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
		text.append(chunk, n);
	std::fclose(file);
	auto events = hbm::parseTrace(text);
	if (!events)
		return fail(std::string(argv[0]) + ": " + events.error().message, asJson);
	auto report = allocator.empty() ? hbm::test::replayOnRegion(*events, algorithm, regionSize)
					: hbm::test::replayOnAllocator(ctx, *events, allocator);
	if (!report)
		return fail(report.error().toString(), asJson);
	json out = document({{"target", report->target},
		    {"allocations", report->allocations},
		    {"failures", report->failures},
		    {"median_allocate_ns", report->medianAllocateNs},
		    {"median_release_ns", report->medianReleaseNs},
		    {"free_at_end", report->freeAtEnd},
		    {"largest_free_at_end", report->largestFreeAtEnd},
		    {"worst_largest_free_share", report->worstLargestFreeShare}});
	if (asJson) {
		std::printf("%s\n", out.dump(2).c_str());
		return 0;
	}
	std::printf("replayed %zu allocations on %s: %zu did not fit\n", report->allocations, report->target.c_str(),
		    report->failures);
	std::printf("  median latency: allocate %.0f ns, release %.0f ns\n", report->medianAllocateNs,
		    report->medianReleaseNs);
	if (allocator.empty())
		std::printf("  fragmentation: largest free range was at worst %.1f%% of free space; at the end %llu of %llu bytes\n",
			    report->worstLargestFreeShare * 100, (unsigned long long)report->largestFreeAtEnd,
			    (unsigned long long)report->freeAtEnd);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	const bool asJson = std::find(argv + 1, argv + argc, std::string_view("--json")) != argv + argc;
	auto ctx = hbm::Context::create();
	if (!ctx)
		return fail(ctx.error().toString(), asJson);
	return replay(**ctx, argc - 1, argv + 1);
}
