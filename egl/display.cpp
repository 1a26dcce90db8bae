// SPDX-License-Identifier: MIT
#include <hbm/egl/display.hpp>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <drm_fourcc.h>
#include <fcntl.h>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <xf86drm.h>

#include <hbm/drm_device.hpp>
#include "devices.hpp"
#include "renderer.hpp"
#include <hbm/unique_fd.hpp>

#include "egl_support.hpp"

namespace hbm::egl {

using hbm_seam::RendererLocality;
using hbm_seam::rendererLocality;
using detail::displayHas;
using detail::makeError;
using detail::eglFailure;
using detail::proc;

namespace {

struct DeviceFiles {
	std::string primary; ///< EGL_DRM_DEVICE_FILE_EXT
	std::string render;  ///< EGL_DRM_RENDER_NODE_FILE_EXT, "" when none
};

/// The DRM device files EGL names for @display; empty when it names none (a software
/// device, or no EGL_EXT_device_query).
DeviceFiles deviceFiles(EGLDisplay display)
{
	DeviceFiles out;
	if (!displayHas(EGL_NO_DISPLAY, "EGL_EXT_device_query"))
		return out;
	auto queryDisplay = proc<PFNEGLQUERYDISPLAYATTRIBEXTPROC>("eglQueryDisplayAttribEXT");
	auto queryString = proc<PFNEGLQUERYDEVICESTRINGEXTPROC>("eglQueryDeviceStringEXT");
	if (!queryDisplay || !queryString)
		return out;
	EGLAttrib attrib = 0;
	if (!queryDisplay(display, EGL_DEVICE_EXT, &attrib) || !attrib)
		return out;
	auto device = reinterpret_cast<EGLDeviceEXT>(attrib);
	const char *extensions = queryString(device, EGL_EXTENSIONS);
	if (!detail::hasExtension(extensions, "EGL_EXT_device_drm"))
		return out;
	if (const char *file = queryString(device, EGL_DRM_DEVICE_FILE_EXT))
		out.primary = file;
	if (detail::hasExtension(extensions, "EGL_EXT_device_drm_render_node"))
		if (const char *file = queryString(device, EGL_DRM_RENDER_NODE_FILE_EXT))
			out.render = file;
	return out;
}


} // namespace

Result<DisplayInfo> queryDisplay(EGLDisplay display, int drmFd)
{
	if (display == EGL_NO_DISPLAY)
		return makeError(EINVAL, "queryDisplay: no EGL display (EGL_NO_DISPLAY)");
	if (!eglQueryString(display, EGL_EXTENSIONS))
		return eglFailure("eglQueryString(EGL_EXTENSIONS) of the display (is it initialised?)");
	DisplayInfo info;
	if (displayHas(display, "EGL_MESA_query_driver")) {
		if (auto name = proc<PFNEGLGETDISPLAYDRIVERNAMEPROC>("eglGetDisplayDriverName"))
			if (const char *driver = name(display))
				info.mesaDriver = driver;
	}
	const DeviceFiles files = deviceFiles(display);
	info.deviceFile = files.primary;
	if (info.deviceFile.empty())
		return info;
	struct stat st {};
	if (stat(info.deviceFile.c_str(), &st) != 0 || !S_ISCHR(st.st_mode))
		return makeError(ENODEV, "the EGL display's device " + info.deviceFile + " is not a character device");
	info.device = st.st_rdev;

	// The driver's name: from the caller's fd of the device if it gave one; else from the
	// render node; the primary node is opened only when there is neither (opening one that
	// has no DRM master makes the opener master until it closes it).
	struct stat fdStat {};
	if (drmFd >= 0 && fstat(drmFd, &fdStat) == 0 && S_ISCHR(fdStat.st_mode) && fdStat.st_rdev == info.device) {
		info.kernelDriver = hbm_seam::drmDriverOf(drmFd);
		return info;
	}
	const std::string &path = files.render.empty() ? files.primary : files.render;
	struct stat nodeStat {};
	if (stat(path.c_str(), &nodeStat) != 0 || !S_ISCHR(nodeStat.st_mode))
		return makeError(ENODEV, "the EGL display's device " + path + " is not a character device");
	auto found = findDrmDevice(nodeStat.st_rdev);
	if (!found)
		return makeError(found.error().code, "the EGL display's device cannot tell its driver's name: " +
							   found.error().message);
	info.kernelDriver = found->driver;
	return info;
}

Result<Participant> displayParticipant(EGLDisplay display, const ParticipantOptions &options)
{
	auto info = queryDisplay(display, options.drmFd);
	if (!info)
		return info.error();
	if (!displayHas(display, "EGL_EXT_image_dma_buf_import"))
		return makeError(ENOTSUP, "the EGL display lacks EGL_EXT_image_dma_buf_import: it cannot import dma-bufs");
	if (!displayHas(display, "EGL_EXT_image_dma_buf_import_modifiers"))
		return makeError(ENOTSUP, "the EGL display lacks EGL_EXT_image_dma_buf_import_modifiers: it cannot say "
					"which formats it imports (eglQueryDmaBufFormatsEXT)");
	auto queryFormats = proc<PFNEGLQUERYDMABUFFORMATSEXTPROC>("eglQueryDmaBufFormatsEXT");
	auto queryModifiers = proc<PFNEGLQUERYDMABUFMODIFIERSEXTPROC>("eglQueryDmaBufModifiersEXT");
	if (!queryFormats || !queryModifiers)
		return makeError(ENOTSUP, "EGL_EXT_image_dma_buf_import_modifiers is listed but its entry points are missing");

	EGLint count = 0;
	if (!queryFormats(display, 0, nullptr, &count))
		return eglFailure("eglQueryDmaBufFormatsEXT");
	std::vector<EGLint> formats(size_t(std::max(count, 0)));
	if (count > 0 && !queryFormats(display, count, formats.data(), &count))
		return eglFailure("eglQueryDmaBufFormatsEXT");
	formats.resize(size_t(std::max(count, 0)));

	FormatSet set;
	size_t externalOnly = 0;
	for (EGLint format : formats) {
		EGLint n = 0;
		if (!queryModifiers(display, format, 0, nullptr, nullptr, &n))
			return eglFailure("eglQueryDmaBufModifiersEXT");
		if (n <= 0) {
			// No modifiers: the display imports the format with an implicit layout, and a
			// linear one passed as implicit (importBuffer() does). wlroots' render/egl.c
			// makes the same assumption ("linear is supported if the driver doesn't
			// explicitly say otherwise"); sway advertises INVALID + LINEAR on kms_swrast.
			set.add(uint32_t(format), DRM_FORMAT_MOD_INVALID);
			set.add(uint32_t(format), DRM_FORMAT_MOD_LINEAR);
			continue;
		}
		std::vector<EGLuint64KHR> modifiers(static_cast<size_t>(n));
		std::vector<EGLBoolean> external(static_cast<size_t>(n));
		if (!queryModifiers(display, format, n, modifiers.data(), external.data(), &n))
			return eglFailure("eglQueryDmaBufModifiersEXT");
		for (EGLint i = 0; i < n && i < EGLint(modifiers.size()); ++i) {
			if (external[size_t(i)] && options.use == DisplayUse::Rendering) {
				++externalOnly;
				continue;
			}
			set.add(uint32_t(format), modifiers[size_t(i)]);
		}
	}

	Participant p;
	p.identity = EglDisplayIdentity{info->device, info->kernelDriver};
	if (info->device) {
		// As KMS planes name theirs, so that `[device.NAME] match.sysfs_path` rules apply.
		p.sysfsPath = hbm_seam::sysfsDeviceOf(info->device);
	}
	p.constraints.formats = std::move(set);
	const char *use = options.use == DisplayUse::Rendering ? "rendering" : "sampling";
	p.source = std::string("eglQueryDmaBufFormatsEXT/ModifiersEXT of the EGL display") +
		   (info->deviceFile.empty() ? "" : " on " + info->deviceFile) +
		   (info->mesaDriver.empty() ? "" : " (Mesa " + info->mesaDriver + ")") + ", for " + use;
	if (externalOnly)
		p.source += "; " + std::to_string(externalOnly) + " external-only pairs left out";

	const RendererLocality locality = rendererLocality(options.config, info->kernelDriver, info->mesaDriver);
	if (locality.deviceLocal) {
		if (!info->device)
			return makeError(ENODEV, "the EGL display's renderer (" + info->mesaDriver +
						       ") uses only its own device's memory, and EGL names no DRM device "
						       "(EGL_EXT_device_drm): no buffer would be safe to give it");
		p.constraints.placement.localTo = info->device;
		p.source += "; uses only its own device's memory: " + locality.reason + " (" + locality.source + ")";
	}
	return p;
}

} // namespace hbm::egl
