// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <hbm/format_set.hpp>
#include <hbm/kms.hpp>
#include <hbm/result.hpp>

#include "video/display.hpp"

namespace hbm::test {

/// The display a test or demo drives as a compositor would: the player's display
/// (examples/video/display.hpp: a KMS device as DRM master with the atomic capability, one
/// connector, its CRTC and primary plane) with the writeback capability, so that where the
/// device has a writeback connector (vkms with enable_writeback=1) a test reads back what
/// the CRTC composes. Any atomic driver works without one (cirrus, virtio_gpu: the lab
/// reads those back with qemu's screendump, <hbm-test/screendump.hpp>).
class Display
{
public:
	/// Opens the first /dev/dri/card* whose driver is @driver (e.g. "vkms") as its master.
	static Result<std::unique_ptr<Display>> openByDriver(const std::string &driver);

	/// The device, for framebuffers and participants (framebuffers of other devices on the
	/// same card work too: their ids are the card's).
	KmsDevice &device() const { return output_->device(); }

	/// The modesetting half, as a player drives it (video::Player takes it).
	video::Display &output() const { return *output_; }

	/// Lights the first connected connector with a mode of @fb's size and shows @fb on
	/// that CRTC's primary plane, in one blocking atomic commit.
	Result<void> showOnPrimary(const Framebuffer &fb);

	/// Shows @fb on the primary plane lit by showOnPrimary() in a blocking atomic commit
	/// without a modeset: when it returns the previous framebuffer is off the screen (the
	/// commit waited for the flip). A framebuffer of another size lights the mode again.
	Result<void> flip(const Framebuffer &fb) { return output_->flip(fb); }

	/// Formats the writeback connector can write (empty if there is none).
	FormatSet writebackFormats() const;

	/// Writes what the CRTC lit by showOnPrimary() composes into @target through the
	/// writeback connector and waits (up to @timeoutMs) for the out-fence.
	Result<void> captureWriteback(const Framebuffer &target, int timeoutMs = 5000);

private:
	explicit Display(std::unique_ptr<video::Display> output) : output_(std::move(output)) {}

	std::unique_ptr<video::Display> output_;
};

/// Number of GEM handles @device holds on its fd (for leak checks).
size_t gemHandleCount(const KmsDevice &device);

/// The first /dev/dri/card* whose DRM driver is @driver ("vkms"), or "" when none is.
std::string cardForDriver(std::string_view driver);

} // namespace hbm::test
