// SPDX-License-Identifier: MIT
#pragma once

#include <hbm/buffer.hpp>
#include <hbm/result.hpp>

namespace hbm::test {

/// A test image for checking that pixels survive a trip through devices (scanout,
/// writeback, another process): red grows left to right, green top to bottom, blue is a
/// 64-pixel checkerboard. Every row differs from every other, so a wrong stride or offset
/// shows. 32-bit RGB formats (XRGB8888, ARGB8888, XBGR8888, ABGR8888).
Result<void> writeTestPattern(CpuAccess &access, const Layout &layout);

/// Checks @access holds the pattern for @layout, ignoring the X/A byte (devices may
/// rewrite it). The error names the first wrong pixel and the count of wrong pixels.
Result<void> verifyTestPattern(const CpuAccess &access, const Layout &layout);

} // namespace hbm::test
