// SPDX-License-Identifier: MIT
// Writes fuzz_negotiation's seed corpus: the situations tests/unit/negotiation_test.cpp
// and the lab meet — a display without an IOMMU on a machine with a CMA heap or without
// one, a camera with a 32-bit address limit, a renderer that samples only its own
// device's memory, a video pipeline (NV12, alignments), a cursor plane's size limit, tiled
// modifiers from GBM preferred to linear — and the refusals: conflicting caching, disjoint
// allocators, two devices' memory, a malformed alignment, no dma-buf memory at all.
//
//     hbm-fuzz-negotiation-seeds tests/fuzz/corpus/negotiation
#include <cstdio>
#include <string>

#include <drm_fourcc.h>

#include "negotiation_input.hpp"

using namespace hbm;
using namespace hbm::fuzz;

namespace {

enum : uint8_t { Contiguous = 1, Cached = 2, Importable = 4, SubAllocates = 8 };
enum : uint8_t { AtStart = 1, NeedsContiguous = 2, Uncached = 1 << 2, NeedsCached = 2 << 2 };

PairInput pair(uint32_t format, uint64_t modifier = DRM_FORMAT_MOD_LINEAR)
{
	return {formatIndex(format), modifierIndex(modifier)};
}

/// Index of @name in kAllocatorNames.
uint8_t named(const char *name)
{
	for (size_t i = 0; i < kAllocatorNameCount; ++i)
		if (std::string(kAllocatorNames[i]) == name)
			return uint8_t(i);
	return 0;
}

const std::vector<PairInput> kLinearRgbYuv = {pair(DRM_FORMAT_XRGB8888), pair(DRM_FORMAT_ARGB8888),
					      pair(DRM_FORMAT_NV12), pair(DRM_FORMAT_YUV420)};

/// This machine in the lab: the system heap, a CMA heap, udmabuf, memfd.
std::vector<AllocatorInput> machine()
{
	return {
		{named("dma-heap:system"), Cached | Importable, 0, 0, kLinearRgbYuv},
		{named("dma-heap:reserved"), Contiguous | Cached | Importable, 15, 0, kLinearRgbYuv},
		{named("udmabuf"), Cached | Importable, 0, 0, kLinearRgbYuv},
		{named("memfd"), Cached, 0, 0, kLinearRgbYuv},
	};
}

ParticipantInput declared(uint8_t number, std::vector<PairInput> pairs)
{
	ParticipantInput p;
	p.identity = uint8_t(number << 2);
	p.pairs = std::move(pairs);
	return p;
}

} // namespace

int main(int argc, char **argv)
{
	const char *directory = seedDirectory(argc, argv);
	if (!directory)
		return 2;
	const std::string dir = directory;
	bool ok = true;
	auto write = [&](const char *name, const NegotiationInput &in) {
		ok &= writeSeed(dir + "/" + name, encodeNegotiationInput(in));
	};
	const uint8_t xrgb = formatIndex(DRM_FORMAT_XRGB8888), nv12 = formatIndex(DRM_FORMAT_NV12),
		      yuv420 = formatIndex(DRM_FORMAT_YUV420), argb = formatIndex(DRM_FORMAT_ARGB8888);

	ParticipantInput display = declared(0, {pair(DRM_FORMAT_XRGB8888), pair(DRM_FORMAT_ARGB8888)});
	display.flags = NeedsContiguous;
	write("display-no-iommu", {1920, 1080, 0, {xrgb}, machine(), {display}});
	NegotiationInput noCma{1920, 1080, 0, {xrgb}, machine(), {display}};
	noCma.allocators.erase(noCma.allocators.begin() + 1);
	write("display-no-iommu-no-cma", noCma);
	write("no-participants", {640, 480, 0, {argb, xrgb}, machine(), {}});

	ParticipantInput camera = declared(1, {pair(DRM_FORMAT_NV12)});
	camera.addressLimit = 32;   // 4 GiB
	camera.strideAlignment = 7; // 128
	write("camera-32-bit-ram-below", {1280, 720, 30, {nv12}, machine(), {camera}});
	write("camera-32-bit-ram-above", {1280, 720, 33, {nv12}, machine(), {camera}});
	write("camera-32-bit-this-machine", {1280, 720, 1, {nv12}, machine(), {camera}});
	NegotiationInput low{1280, 720, 0, {nv12}, machine(), {camera}};
	low.allocators[1].memoryEnd = 28; // configured: CMA below 256 MiB
	write("camera-32-bit-cma-configured-low", low);

	// A video pipeline: decoder (offset alignment 4 KiB) into an encoder (stride 256).
	ParticipantInput decoder = declared(2, {pair(DRM_FORMAT_NV12), pair(DRM_FORMAT_YUV420)});
	decoder.offsetAlignment = 12;
	ParticipantInput encoder = declared(3, {pair(DRM_FORMAT_NV12), pair(DRM_FORMAT_YUV420)});
	encoder.strideAlignment = 8;
	encoder.maxWidth = 4096;
	encoder.maxHeight = 2160;
	write("video-pipeline", {1921, 1081, 0, {yuv420, nv12}, machine(), {decoder, encoder}});
	write("video-pipeline-too-big", {4097, 2160, 0, {nv12}, machine(), {decoder, encoder}});

	// KMS planes of vkms (226:1): the renderer samples only dumb buffers of its device.
	ParticipantInput primary;
	primary.identity = 1 | 31 << 2;
	primary.pairs = {pair(DRM_FORMAT_XRGB8888), pair(DRM_FORMAT_ARGB8888)};
	primary.maxWidth = 8192;
	primary.maxHeight = 8192;
	primary.flags = AtStart;
	ParticipantInput renderer = declared(4, {pair(DRM_FORMAT_XRGB8888)});
	renderer.flags = 1 << 4; // memory of 226:1 only
	std::vector<AllocatorInput> kms = machine();
	kms.push_back({named("dumb:vkms"), Cached | Importable | 1 << 4, 0, 0, {pair(DRM_FORMAT_XRGB8888)}});
	write("vkms-primary-and-local-renderer", {1024, 768, 0, {xrgb}, kms, {primary, renderer}});
	renderer.flags = 2 << 4;
	write("renderer-of-a-missing-device", {1024, 768, 0, {xrgb}, kms, {primary, renderer}});

	ParticipantInput cursor;
	cursor.identity = 2 | 41 << 2;
	cursor.pairs = {pair(DRM_FORMAT_ARGB8888)};
	cursor.maxWidth = 64;
	cursor.maxHeight = 64;
	cursor.maxStride = 256;
	write("cursor-64", {64, 64, 0, {argb}, kms, {cursor}});
	write("cursor-too-wide", {65, 64, 0, {argb}, kms, {cursor}});

	// GBM offers tiled layouts: preferred to linear when every participant takes them.
	std::vector<AllocatorInput> gbm = machine();
	gbm.push_back({named("gbm:v3d"),
		       Cached | Importable,
		       0,
		       0,
		       {pair(DRM_FORMAT_XRGB8888), pair(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_BROADCOM_VC4_T_TILED),
			pair(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID)}});
	ParticipantInput v3d = declared(
		5, {pair(DRM_FORMAT_XRGB8888), pair(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_BROADCOM_VC4_T_TILED)});
	write("gbm-tiled-preferred", {1920, 1080, 0, {xrgb}, gbm, {v3d}});
	write("gbm-tiled-with-linear-display", {1920, 1080, 0, {xrgb}, gbm, {v3d, display}});

	// A region sub-allocates one dma-buf: a device needing plane 0 at its start refuses it.
	std::vector<AllocatorInput> region = {
		{named("region:video"), Contiguous | Cached | Importable | SubAllocates, 13, 0, kLinearRgbYuv}};
	write("region-and-planes-at-start", {640, 480, 0, {xrgb}, region, {primary}});
	write("region-size-limit", {4096, 4096, 0, {xrgb}, region, {}});

	// Refusals between participants.
	ParticipantInput cachedOne = declared(6, kLinearRgbYuv), uncachedOne = declared(7, kLinearRgbYuv);
	cachedOne.flags = NeedsCached;
	uncachedOne.flags = Uncached;
	write("caching-conflict", {640, 480, 0, {xrgb}, machine(), {cachedOne, uncachedOne}});
	write("caching-mismatch", {640, 480, 0, {xrgb}, machine(), {uncachedOne}});
	ParticipantInput onlySystem = declared(8, kLinearRgbYuv), onlyCma = declared(9, kLinearRgbYuv);
	onlySystem.allowed = 1 << named("dma-heap:system");
	onlyCma.allowed = 1 << named("dma-heap:reserved");
	write("allocators-conflict", {640, 480, 0, {xrgb}, machine(), {onlySystem, onlyCma}});
	write("allocator-allowed", {640, 480, 0, {xrgb}, machine(), {onlyCma}});
	ParticipantInput here = declared(10, kLinearRgbYuv), there = declared(11, kLinearRgbYuv);
	here.flags = 1 << 4;
	there.flags = 2 << 4;
	write("devices-conflict", {640, 480, 0, {xrgb}, kms, {here, there}});
	ParticipantInput odd = declared(12, kLinearRgbYuv);
	odd.strideAlignment = 48; // not a power of two
	write("alignment-48", {640, 480, 0, {xrgb}, machine(), {odd}});
	odd.strideAlignment = 25; // 2^25: above kMaxAlignment
	write("alignment-2-25", {640, 480, 0, {xrgb}, machine(), {odd}});
	odd.strideAlignment = 24; // 2^24: the largest
	write("alignment-2-24", {640, 480, 0, {xrgb, yuv420}, machine(), {odd}});
	write("format-not-taken", {640, 480, 0, {nv12}, machine(), {display}});
	write("unknown-format", {640, 480, 0, {255}, machine(), {display}});
	write("no-format", {640, 480, 0, {}, machine(), {display}});
	write("zero-size", {0, 480, 0, {xrgb}, machine(), {display}});
	write("largest-size", {65536, 65536, 0, {xrgb}, machine(), {}});
	write("memfd-only", {640, 480, 0, {xrgb}, {machine()[3]}, {}});
	write("no-allocator", {640, 480, 0, {xrgb}, {}, {}});
	return ok ? 0 : 1;
}
