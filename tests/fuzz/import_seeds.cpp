// SPDX-License-Identifier: MIT
// Writes fuzz_import's seed corpus: the layouts hbm itself makes (linearLayout) for a few
// formats, imported over one stand-in dma-buf or one per plane; vendor modifiers with an
// auxiliary plane; and the malformed imports docs/hostile-inputs.md lists, one of each
// class (short stride, plane past the end, offset overflow, wrong plane count, fds that
// are not dma-bufs, unknown format or modifier vendor, oversized image).
//
//     hbm-fuzz-import-seeds tests/fuzz/corpus/import
#include <cstdio>
#include <string>

#include <drm_fourcc.h>

#include <hbm/layout.hpp>

#include "import_input.hpp"

using namespace hbm;
using namespace hbm::fuzz;

namespace {

/// The input importing @layout over stand-ins: one fd for all planes, or one each.
ImportInput of(const Layout &layout, bool fdPerPlane)
{
	ImportInput in{layout.width, layout.height, layout.format, layout.modifier, {}};
	for (size_t i = 0; i < layout.planes.size(); ++i) {
		const PlaneLayout &p = layout.planes[i];
		const uint8_t fd = i == 0 || fdPerPlane ? importFdSpec(ImportFd::StandIn, layout.size)
							: uint8_t(ImportFd::SameAsLast);
		in.planes.push_back({fd, p.offset, p.stride});
	}
	return in;
}

} // namespace

int main(int argc, char **argv)
{
	const char *directory = seedDirectory(argc, argv);
	if (!directory)
		return 2;
	const std::string dir = directory;
	bool ok = true;
	auto write = [&](const std::string &name, const ImportInput &in) {
		ok &= writeSeed(dir + "/" + name, encodeImportInput(in));
	};
	struct Image {
		const char *name;
		uint32_t format, width, height;
	};
	const Image images[] = {
		{"xrgb8888-64x64", DRM_FORMAT_XRGB8888, 64, 64},
		{"nv12-641x479", DRM_FORMAT_NV12, 641, 479},
		{"yuv420-33x17", DRM_FORMAT_YUV420, 33, 17},
		{"rgb565-1x1", DRM_FORMAT_RGB565, 1, 1},
	};
	for (const Image &image : images) {
		auto layout = linearLayout(image.format, image.width, image.height);
		if (!layout) {
			std::fprintf(stderr, "%s: %s\n", image.name, layout.error().message.c_str());
			return 1;
		}
		const std::string base = image.name;
		write(base + "-one-fd", of(*layout, false));
		write(base + "-fd-per-plane", of(*layout, true));

		ImportInput in = of(*layout, false);
		in.planes.back().stride = 1;
		write(base + "-stride-short", in);
		in = of(*layout, false);
		in.planes.back().offset = layout->size - 64;
		write(base + "-plane-past-end", in);
		in.planes.back().offset = ~uint64_t(0) - 8;
		write(base + "-offset-overflows", in);
		in = of(*layout, false);
		in.planes.pop_back();
		write(base + "-plane-missing", in);
		in = of(*layout, false);
		in.planes.push_back(in.planes.back());
		write(base + "-plane-extra", in);
		for (auto [kind, name] : {std::pair{ImportFd::Memfd, "memfd"},
					  {ImportFd::Pipe, "pipe"},
					  {ImportFd::DevNull, "dev-null"},
					  {ImportFd::Negative, "negative-fd"},
					  {ImportFd::NotOpen, "closed-fd"}}) {
			in = of(*layout, true);
			in.planes[0].fd = importFdSpec(kind, layout->size);
			write(base + "-" + name, in);
		}
		in = of(*layout, false);
		in.width = 65537;
		write(base + "-too-wide", in);
	}

	// Vendor layouts: planes in one buffer, an auxiliary plane to its end.
	auto xrgb = linearLayout(DRM_FORMAT_XRGB8888, 256, 64);
	if (!xrgb)
		return 1;
	ImportInput tiled = of(*xrgb, false);
	tiled.modifier = I915_FORMAT_MOD_X_TILED;
	write("xrgb8888-x-tiled", tiled);
	tiled.modifier = I915_FORMAT_MOD_Y_TILED_CCS;
	tiled.planes.push_back({uint8_t(ImportFd::SameAsLast), xrgb->size - 4096, 128});
	write("xrgb8888-y-tiled-ccs-aux-plane", tiled);
	tiled.planes.back().fd = importFdSpec(ImportFd::StandIn, 4096);
	tiled.planes.back().offset = 0;
	write("xrgb8888-ccs-aux-in-another-buffer", tiled);
	tiled = of(*xrgb, false);
	tiled.modifier = DRM_FORMAT_MOD_ARM_AFBC(AFBC_FORMAT_MOD_BLOCK_SIZE_16x16);
	write("xrgb8888-afbc", tiled);
	tiled.modifier = 1;
	write("xrgb8888-vendor-none-reserved", tiled);
	tiled.modifier = 0x7full << 56;
	write("xrgb8888-unknown-vendor", tiled);
	tiled.modifier = 0x12345678abcdefull;
	write("xrgb8888-raw-modifier", tiled);
	ImportInput unknown = of(*xrgb, false);
	unknown.format = 0xffffffff;
	write("unknown-format-ffffffff", unknown);
	unknown.format = fourcc_code('N', 'V', '1', '3');
	write("unknown-format-nv13", unknown);
	write("no-planes", ImportInput{64, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, {}});
	write("zero-size", ImportInput{0,
				       0,
				       DRM_FORMAT_XRGB8888,
				       DRM_FORMAT_MOD_LINEAR,
				       {{importFdSpec(ImportFd::StandIn, 4096), 0, 0}}});
	return ok ? 0 : 1;
}
