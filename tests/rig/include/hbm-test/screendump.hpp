// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <hbm/buffer.hpp>
#include <hbm/result.hpp>

namespace hbm::test {

/// An RGB image as qemu shows a display: 8 bits per channel, rows packed (width * 3 bytes).
struct Image {
	uint32_t width = 0;
	uint32_t height = 0;
	std::vector<uint8_t> rgb;

	/// The pixel at (@x, @y) as 0xRRGGBB.
	uint32_t pixel(uint32_t x, uint32_t y) const
	{
		const uint8_t *p = &rgb[(size_t(y) * width + x) * 3];
		return uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2];
	}
};

/// Parses a binary PPM (P6, maxval 255, as qemu's screendump writes it). Every way it can
/// be malformed is an EINVAL naming what was wrong.
Result<Image> parsePpm(std::string_view bytes);

/// The lab's screendump service (tests/lab/run.sh, tests/lab/screendump-service.py): the
/// request directory the guest shares with it, from $HBM_LAB_SCREENDUMP_DIR; "" outside
/// the lab guest.
std::string screendumpServiceDir();

/// What qemu shows on head @head of its display device @qemuDevice (the id run.sh gave
/// it: "cirrus"; "virtio" on the iommu machine), read by the host through qemu's monitor.
/// Errors, each a value with the reason: ENODEV outside the lab or when no service
/// listens, ETIMEDOUT without an answer within @timeoutMs, EIO with qemu's own text (an
/// unknown device, a head it lacks), EINVAL for a malformed PPM.
Result<Image> screendump(const std::string &qemuDevice, int head = 0, int timeoutMs = 20000);

/// The same through the service listening in @serviceDir (for tests of the protocol).
Result<Image> screendumpVia(const std::string &serviceDir, const std::string &qemuDevice, int head,
			    int timeoutMs);

/// Compares @screen with the 32-bit RGB pixels of @access (XRGB8888, ARGB8888, XBGR8888,
/// ABGR8888; alpha/X ignored), shown 1:1 from the top left; sizes must match. The error
/// counts the differing pixels and names the first.
Result<void> compareWithScreen(const CpuAccess &access, const Layout &layout, const Image &screen);

} // namespace hbm::test
