// SPDX-License-Identifier: MIT
#pragma once

#include <hbm/buffer.hpp>
#include <hbm/result.hpp>

namespace hbm::test {

/// Pixels compared one by one: how many differ, and the first that did, for an error
/// that names it.
struct PixelDiff {
	uint64_t total = 0;
	uint64_t wrong = 0;
	uint32_t x = 0, y = 0, got = 0, want = 0; ///< the first difference

	void add(uint32_t px, uint32_t py, uint32_t gotPixel, uint32_t wantPixel)
	{
		++total;
		if (gotPixel != wantPixel && wrong++ == 0) {
			x = px;
			y = py;
			got = gotPixel;
			want = wantPixel;
		}
	}
	/// Nothing, or EIO: "<wrong> of <total> pixels <what>; first at (x,y): 0x…, <wantIs> 0x…".
	Result<void> result(const char *what, const char *wantIs) const;
};

/// A test image for checking that pixels survive a trip through devices (scanout,
/// writeback, another process): red grows left to right, green top to bottom, blue is a
/// 64-pixel checkerboard. Every row differs from every other, so a wrong stride or offset
/// shows. 32-bit RGB formats (XRGB8888, ARGB8888, XBGR8888, ABGR8888).
Result<void> writeTestPattern(CpuAccess &access, const Layout &layout);

/// Checks @access holds the pattern for @layout, ignoring the X/A byte (devices may
/// rewrite it). The error names the first wrong pixel and the count of wrong pixels.
Result<void> verifyTestPattern(const CpuAccess &access, const Layout &layout);

} // namespace hbm::test
