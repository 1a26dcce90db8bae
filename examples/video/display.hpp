// SPDX-License-Identifier: MIT
// The smallest display a player needs, over libdrm: hbm has no modesetting API (a
// compositor or a player already owns its display; hbm only makes the buffers and their
// framebuffers). One connector, one CRTC, its primary plane, blocking atomic commits.
// Over hbm's public headers and libdrm only: copy it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <hbm/kms.hpp>
#include <hbm/result.hpp>

namespace video {

/// A KMS device opened as DRM master with the atomic capability: master is only to be had
/// when no compositor runs on the device.
class Display
{
public:
	/// Opens the first /dev/dri/card* whose driver is @driver (e.g. "vkms").
	static hbm::Result<std::unique_ptr<Display>> open(const std::string &driver);

	~Display();
	Display(const Display &) = delete;
	Display &operator=(const Display &) = delete;

	/// The device, for plane participants and framebuffers.
	hbm::KmsDevice &device() const { return *device_; }

	/// Lights the first connected connector with a mode of @fb's size and shows @fb on that
	/// CRTC's primary plane, in one blocking atomic commit.
	hbm::Result<void> show(const hbm::Framebuffer &fb);

	/// Shows @fb on the primary plane show() lit, in a blocking atomic commit without a
	/// modeset: when it returns, the previous framebuffer is off the screen. A framebuffer
	/// of another size (or none shown yet) goes through show().
	hbm::Result<void> flip(const hbm::Framebuffer &fb);

	/// What show() lit (0 before): for a program that adds to the routing.
	uint32_t crtc() const { return crtc_; }
	uint32_t connector() const { return connector_; }
	uint32_t primaryPlane() const { return primary_; }

private:
	explicit Display(std::shared_ptr<hbm::KmsDevice> device) : device_(std::move(device)) {}

	std::shared_ptr<hbm::KmsDevice> device_;
	uint32_t crtc_ = 0;
	uint32_t connector_ = 0;
	uint32_t modeBlob_ = 0;
	uint32_t primary_ = 0;
	uint32_t primaryFbId_ = 0; ///< the plane's FB_ID property, for flips
	uint32_t width_ = 0, height_ = 0;
};

} // namespace video
