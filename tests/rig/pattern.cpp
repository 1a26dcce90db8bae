// SPDX-License-Identifier: MIT
#include <hbm-test/pattern.hpp>

#include <cerrno>
#include <cstring>

#include <drm_fourcc.h>

#include <hbm/format.hpp>

#include "base/error.hpp"

namespace hbm::test {

namespace {

struct Channels {
	unsigned r, g, b; // bit positions in the little-endian 32-bit pixel
};

bool channelsOf(uint32_t format, Channels *c)
{
	switch (format) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
		*c = {16, 8, 0};
		return true;
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
		*c = {0, 8, 16};
		return true;
	default:
		return false;
	}
}

uint32_t expected(const Channels &c, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	uint32_t r = w > 1 ? x * 255 / (w - 1) : 0;
	uint32_t g = h > 1 ? y * 255 / (h - 1) : 0;
	uint32_t b = ((x >> 6) ^ (y >> 6)) & 1 ? 0xe0 : 0x20;
	return r << c.r | g << c.g | b << c.b;
}

Result<Channels> check(const CpuAccess &access, const Layout &layout)
{
	Channels c;
	if (!channelsOf(layout.format, &c))
		return makeError(ENOTSUP, "no test pattern for %s (XRGB8888, ARGB8888, XBGR8888, ABGR8888 only)",
				 formatName(layout.format).c_str());
	auto plane = access.plane(0);
	if (layout.planes.empty() || plane.size() < uint64_t(layout.planes[0].stride) * layout.height)
		return makeError(EINVAL, "access does not cover a %ux%u image", layout.width, layout.height);
	return c;
}

} // namespace

Result<void> writeTestPattern(CpuAccess &access, const Layout &layout)
{
	auto c = check(access, layout);
	if (!c)
		return c.error();
	uint8_t *base = access.plane(0).data();
	const uint32_t stride = layout.planes[0].stride;
	for (uint32_t y = 0; y < layout.height; ++y) {
		auto *row = reinterpret_cast<uint32_t *>(base + uint64_t(y) * stride);
		for (uint32_t x = 0; x < layout.width; ++x)
			row[x] = 0xff000000u | expected(*c, x, y, layout.width, layout.height);
	}
	return {};
}

Result<void> verifyTestPattern(const CpuAccess &access, const Layout &layout)
{
	auto c = check(access, layout);
	if (!c)
		return c.error();
	const uint8_t *base = access.plane(0).data();
	const uint32_t stride = layout.planes[0].stride;
	PixelDiff diff;
	for (uint32_t y = 0; y < layout.height; ++y) {
		auto *row = reinterpret_cast<const uint32_t *>(base + uint64_t(y) * stride);
		for (uint32_t x = 0; x < layout.width; ++x)
			diff.add(x, y, row[x] & 0x00ffffffu, expected(*c, x, y, layout.width, layout.height));
	}
	return diff.result("differ from the test pattern", "expected");
}

Result<void> PixelDiff::result(const char *what, const char *wantIs) const
{
	if (!wrong)
		return {};
	return makeError(EIO, "%llu of %llu pixels %s; first at (%u,%u): 0x%06x, %s 0x%06x",
			 static_cast<unsigned long long>(wrong), static_cast<unsigned long long>(total), what, x, y, got,
			 wantIs, want);
}

} // namespace hbm::test
