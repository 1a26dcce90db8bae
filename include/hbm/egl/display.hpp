// SPDX-License-Identifier: MIT
#pragma once

// An EGL display as an hbm participant: what it can import, on which device, and whether
// its renderer can use memory made elsewhere. Part of libhbm-egl.

#include <string>

#include <sys/types.h>

#include <EGL/egl.h>

#include <hbm/config.hpp>
#include <hbm/participant.hpp>
#include <hbm/export.h>
#include <hbm/result.hpp>

namespace hbm::egl {

/// What the display will do with the buffer. eglQueryDmaBufModifiersEXT marks some pairs
/// external_only: the display samples them (GL_TEXTURE_EXTERNAL_OES) but cannot render to
/// them, so a Sampling participant takes them and a Rendering one does not.
enum class DisplayUse { Sampling, Rendering };

/// Where an initialised EGL display runs.
struct DisplayInfo {
	dev_t device = 0;         ///< st_rdev of EGL_DRM_DEVICE_FILE_EXT; 0 when EGL cannot name one
	std::string deviceFile;   ///< "/dev/dri/card1", "" when unknown
	std::string kernelDriver; ///< DRM_IOCTL_VERSION's name of that device ("vkms"), "" unknown
	std::string mesaDriver;   ///< eglGetDisplayDriverName (EGL_MESA_query_driver), "" unknown
};

/// The display's device (EGL_EXT_device_query + EGL_EXT_device_drm) and drivers. What the
/// display cannot tell is left empty, never guessed. The kernel driver's name is read
/// (DRM_IOCTL_VERSION) from @drmFd when it is the display's device (the fd given to
/// gbm_create_device), else from the device's render node, else from its primary node,
/// opened and closed here.
HBM_EXPORT Result<DisplayInfo> queryDisplay(EGLDisplay display, int drmFd = -1);

struct ParticipantOptions {
	DisplayUse use = DisplayUse::Sampling;
	/// Configuration whose `[renderer.NAME]` rules override the built-in renderer table
	/// (hbm::rendererLocality()); null: the table alone.
	const Config *config = nullptr;
	/// The caller's fd of the display's DRM device, if it has one (queryDisplay()); -1: none.
	int drmFd = -1;
};

/// The display as a participant: the (format, modifier) pairs of eglQueryDmaBufFormatsEXT
/// and eglQueryDmaBufModifiersEXT for @options.use (a format with no modifiers is taken
/// with DRM_FORMAT_MOD_INVALID and LINEAR: implicit layouts, and linear ones imported as
/// implicit, as wlroots assumes), identity {device, kernel driver},
/// Participant::sysfsPath (the device's sysfs directory, which `[device.NAME]
/// match.sysfs_path` rules match), and placement.localTo = the device when the renderer can use only its own device's
/// memory (the renderer table or configuration; Participant::source says why). A display
/// without EGL_EXT_image_dma_buf_import_modifiers (the format query) is refused with
/// ENOTSUP naming it; one whose renderer must use its own memory but whose device EGL
/// cannot name is refused too (ENODEV), since no placement would be safe.
HBM_EXPORT Result<Participant> displayParticipant(EGLDisplay display, const ParticipantOptions &options = {});

} // namespace hbm::egl
