// SPDX-License-Identifier: MIT
#include "egl_support.hpp"

#include <cerrno>
#include <algorithm>
#include <cstdio>
#include <vector>

#include <hbm/egl/image.hpp>

namespace hbm::egl {

const char *errorName(EGLint error)
{
	switch (error) {
	case EGL_SUCCESS: return "EGL_SUCCESS";
	case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
	case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
	case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
	case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
	case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
	case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
	case EGL_BAD_CURRENT_SURFACE: return "EGL_BAD_CURRENT_SURFACE";
	case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
	case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
	case EGL_BAD_NATIVE_PIXMAP: return "EGL_BAD_NATIVE_PIXMAP";
	case EGL_BAD_NATIVE_WINDOW: return "EGL_BAD_NATIVE_WINDOW";
	case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
	case EGL_BAD_SURFACE: return "EGL_BAD_SURFACE";
	case EGL_CONTEXT_LOST: return "EGL_CONTEXT_LOST";
#ifdef EGL_BAD_DEVICE_EXT
	case EGL_BAD_DEVICE_EXT: return "EGL_BAD_DEVICE_EXT";
#endif
	default: break;
	}
	static thread_local char unknown[32];
	std::snprintf(unknown, sizeof(unknown), "EGL error 0x%04x", unsigned(error));
	return unknown;
}

namespace detail {

hbm_seam::LogCategory logEgl("egl");


bool hasExtension(const char *extensions, std::string_view name)
{
	if (!extensions || name.empty())
		return false;
	std::string_view all(extensions);
	for (size_t pos = 0; (pos = all.find(name, pos)) != all.npos; pos += name.size()) {
		const bool startsWord = pos == 0 || all[pos - 1] == ' ';
		const size_t end = pos + name.size();
		if (startsWord && (end == all.size() || all[end] == ' '))
			return true;
	}
	return false;
}

bool displayHas(EGLDisplay display, std::string_view name)
{
	return hasExtension(eglQueryString(display, EGL_EXTENSIONS), name);
}

bool listsModifier(EGLDisplay display, uint32_t format, uint64_t modifier)
{
	auto query = proc<PFNEGLQUERYDMABUFMODIFIERSEXTPROC>("eglQueryDmaBufModifiersEXT");
	EGLint n = 0;
	if (!query || !query(display, EGLint(format), 0, nullptr, nullptr, &n) || n <= 0)
		return false;
	std::vector<EGLuint64KHR> modifiers(static_cast<size_t>(n));
	if (!query(display, EGLint(format), n, modifiers.data(), nullptr, &n))
		return false;
	modifiers.resize(static_cast<size_t>(std::max(n, 0)));
	return std::find(modifiers.begin(), modifiers.end(), modifier) != modifiers.end();
}


Error eglFailure(const std::string &call)
{
	const EGLint error = eglGetError();
	const int code = error == EGL_BAD_ALLOC ? ENOMEM
		       : error == EGL_BAD_ACCESS ? EACCES
		       : error == EGL_NOT_INITIALIZED || error == EGL_CONTEXT_LOST ? EIO
										   : EINVAL;
	Error e = makeError(code, call + " failed: " + errorName(error));
	HBM_LOG(logEgl, Debug, "%s", e.message.c_str());
	return e;
}

} // namespace detail
} // namespace hbm::egl
