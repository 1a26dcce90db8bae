// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <sys/types.h>

#include <hbm/constraints.hpp>
#include <hbm/export.h>

namespace hbm {

/// DRM_PLANE_TYPE_* values.
enum class PlaneType : uint32_t {
	Overlay = 0,
	Primary = 1,
	Cursor = 2,
};

enum class V4l2Queue { Capture, Output };

/// A KMS plane of one DRM device.
struct KmsPlaneIdentity {
	dev_t device = 0;          ///< st_rdev of the DRM node
	uint32_t planeId = 0;
	PlaneType type = PlaneType::Overlay;
	uint32_t possibleCrtcs = 0; ///< bit mask of CRTC indices
	std::string driver;         ///< the DRM driver ("vkms")
	bool operator==(const KmsPlaneIdentity &) const = default;
};

/// One queue of a V4L2 video device.
struct V4l2QueueIdentity {
	dev_t device = 0; ///< st_rdev of /dev/videoN
	V4l2Queue queue = V4l2Queue::Capture;
	std::string driver; ///< "vivid"
	std::string card;   ///< VIDIOC_QUERYCAP's card name, which configuration rules match
	bool operator==(const V4l2QueueIdentity &) const = default;
};

/// A renderer reached through EGL: an EGL display on one DRM device.
struct EglDisplayIdentity {
	dev_t device = 0;   ///< the DRM device of the display (EGL_EXT_device_drm), 0 unknown
	std::string driver; ///< the DRM driver ("vkms"), "" unknown
	bool operator==(const EglDisplayIdentity &) const = default;
};

/// One tranche of a Wayland compositor's linux-dmabuf feedback (v4), or its whole format
/// list (v3, where @mainDevice is unknown).
struct WaylandTrancheIdentity {
	dev_t mainDevice = 0;   ///< the compositor's main device (its renderer); 0: unknown (v3)
	dev_t targetDevice = 0; ///< the device this tranche's buffers go to; 0: unknown (v3)
	bool scanout = false;   ///< ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT
	uint32_t index = 0;     ///< the tranche's position in the feedback, most preferred first
	bool operator==(const WaylandTrancheIdentity &) const = default;
};

/// A device known only from configuration (`[participant.NAME]`) or from the caller.
struct DeclaredIdentity {
	std::string name;
	bool operator==(const DeclaredIdentity &) const = default;
};

/// Who a participant is. Its display name is derived from this, never parsed back.
using ParticipantIdentity = std::variant<DeclaredIdentity, KmsPlaneIdentity, V4l2QueueIdentity,
					 EglDisplayIdentity, WaylandTrancheIdentity>;

/// "vkms primary plane 31 (226:1)", "vivid capture queue (81:0)", "panel (declared)",
/// "vkms EGL display (226:1)", "Wayland compositor tranche 0 for (226:1)".
HBM_EXPORT std::string identityName(const ParticipantIdentity &identity);

/// A device or endpoint that will touch the buffer for one use, and its constraints.
struct Participant {
	ParticipantIdentity identity;
	std::string source; ///< how its constraints were learnt: "IN_FORMATS of /dev/dri/card1 …"
	Constraints constraints;
	/// The device's sysfs directory, which configuration rules match by prefix ("" unknown).
	std::string sysfsPath;

	/// Derived from the identity (const: assigning to it would change nothing).
	const std::string name() const { return identityName(identity); }
	/// The DRM driver of a KMS plane, "" otherwise (configuration's `drm_driver` rules match
	/// display planes only).
	HBM_EXPORT std::string drmDriver() const;
	/// The card name of a V4L2 queue, "" otherwise.
	HBM_EXPORT std::string v4l2Card() const;
	/// Whether this is a KMS plane of @type.
	HBM_EXPORT bool isPlane(PlaneType type) const;
};

/// The first participant in @participants that is a KMS plane of @type, or nullptr.
HBM_EXPORT const Participant *findPlane(const std::vector<Participant> &participants, PlaneType type);

/// A declared participant taking exactly the (format, modifier) pairs given: what a caller
/// that knows its device's set (a renderer's EGL query, a protocol) hands hbm.
HBM_EXPORT Participant declaredParticipant(std::string name, FormatSet formats);

} // namespace hbm
