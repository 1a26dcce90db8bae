// SPDX-License-Identifier: MIT
#pragma once

// libhbm-egl's private helpers: extension checks, entry points and errors.

#include <cstdint>
#include <string>
#include <string_view>

#include <EGL/egl.h>
#include <EGL/eglext.h>

#include <hbm/result.hpp>

#include "error.hpp"
#include "log.hpp"

namespace hbm::egl::detail {

// Built and logged as in every hbm library (src/seam/).
using hbm_seam::makeError;

/// libhbm-egl's log category.
extern hbm_seam::LogCategory logEgl;

/// Whether @name is a whole word of @extensions (an EGL_EXTENSIONS string, may be null).
bool hasExtension(const char *extensions, std::string_view name);
/// Whether @display (EGL_NO_DISPLAY: the client extensions) has extension @name.
bool displayHas(EGLDisplay display, std::string_view name);

/// Whether eglQueryDmaBufModifiersEXT lists @modifier for @format on @display.
bool listsModifier(EGLDisplay display, uint32_t format, uint64_t modifier);

/// An extension entry point, or null.
template<typename Fn>
Fn proc(const char *name)
{
	return reinterpret_cast<Fn>(eglGetProcAddress(name));
}

/// The error of a failed EGL call, read now from eglGetError(): "@call failed: EGL_BAD_MATCH".
Error eglFailure(const std::string &call);

} // namespace hbm::egl::detail
