// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <hbm/format_set.hpp>
#include <hbm/kms.hpp>
#include <hbm/result.hpp>

namespace hbm::test {

/// The display a test or demo drives as a compositor would: a KMS device opened as DRM
/// master, with the atomic and writeback client capabilities, that shows framebuffers and,
/// where the device has a writeback connector (vkms with enable_writeback=1), reads back
/// what the CRTC composes. Any atomic driver works without one (cirrus, virtio_gpu: the
/// lab reads those back with qemu's screendump, <hbm-test/screendump.hpp>).
/// Master is only to be had when no compositor runs on the device.
class Display
{
public:
	/// Opens the first /dev/dri/card* whose driver is @driver (e.g. "vkms") as its master.
	static Result<std::unique_ptr<Display>> openByDriver(const std::string &driver);

	~Display();
	Display(const Display &) = delete;
	Display &operator=(const Display &) = delete;

	/// The device, for framebuffers and participants (framebuffers of other devices on the
	/// same card work too: their ids are the card's).
	KmsDevice &device() const { return *device_; }

	/// Lights the first connected connector with a mode of @fb's size and shows @fb on
	/// that CRTC's primary plane, in one blocking atomic commit.
	Result<void> showOnPrimary(const Framebuffer &fb);

	/// Shows @fb on the primary plane lit by showOnPrimary() in a blocking atomic commit
	/// without a modeset: when it returns the previous framebuffer is off the screen (the
	/// commit waited for the flip). A framebuffer of another size lights the mode again.
	Result<void> flip(const Framebuffer &fb);

	/// Formats the writeback connector can write (empty if there is none).
	FormatSet writebackFormats() const;

	/// Writes what the CRTC lit by showOnPrimary() composes into @target through the
	/// writeback connector and waits (up to @timeoutMs) for the out-fence.
	Result<void> captureWriteback(const Framebuffer &target, int timeoutMs = 5000);

private:
	explicit Display(std::shared_ptr<KmsDevice> device) : device_(std::move(device)) {}

	std::shared_ptr<KmsDevice> device_;
	// What showOnPrimary() lit, for captureWriteback().
	uint32_t crtc_ = 0;
	uint32_t connector_ = 0; ///< the display connector on that CRTC
	uint32_t modeBlob_ = 0;
	uint32_t primary_ = 0; ///< the plane showOnPrimary() used, and the size it lit
	uint32_t width_ = 0, height_ = 0;
};

/// Number of GEM handles @device holds on its fd (for leak checks).
size_t gemHandleCount(const KmsDevice &device);

/// The first /dev/dri/card* whose DRM driver is @driver ("vkms"), or "" when none is.
std::string cardForDriver(std::string_view driver);

} // namespace hbm::test
