// SPDX-License-Identifier: MIT
// libhbm-egl without a device (the renderer table and its configuration are tested in
// tests/unit/config_test.cpp): EGL error names, bad input, and Mesa's surfaceless display where the host has one.

#include <cerrno>
#include <cstdlib>
#include <string>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <gtest/gtest.h>

#include <hbm/config.hpp>
#include <hbm/egl/display.hpp>
#include <hbm/egl/image.hpp>

namespace {

TEST(EglErrors, NamesEglErrors)
{
	EXPECT_STREQ(hbm::egl::errorName(EGL_BAD_MATCH), "EGL_BAD_MATCH");
	EXPECT_STREQ(hbm::egl::errorName(EGL_BAD_ATTRIBUTE), "EGL_BAD_ATTRIBUTE");
	EXPECT_STREQ(hbm::egl::errorName(EGL_SUCCESS), "EGL_SUCCESS");
	EXPECT_STREQ(hbm::egl::errorName(0x1234), "EGL error 0x1234");
}

TEST(EglBadInput, NoDisplayIsAnErrorNamingIt)
{
	auto image = hbm::egl::exportImage(EGL_NO_DISPLAY, EGL_NO_IMAGE_KHR, 64, 64);
	ASSERT_FALSE(image);
	EXPECT_EQ(image.error().code, EINVAL);
	auto participant = hbm::egl::displayParticipant(EGL_NO_DISPLAY);
	ASSERT_FALSE(participant);
	EXPECT_EQ(participant.error().code, EINVAL);
	EXPECT_NE(participant.error().message.find("EGL_NO_DISPLAY"), std::string::npos);
}

/// Mesa's surfaceless platform (llvmpipe, no DRM device): a display that names no device.
struct Surfaceless {
	EGLDisplay display = EGL_NO_DISPLAY;
	Surfaceless()
	{
		auto get = reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(eglGetProcAddress("eglGetPlatformDisplayEXT"));
		if (get)
			display = get(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
		if (display != EGL_NO_DISPLAY && !eglInitialize(display, nullptr, nullptr))
			display = EGL_NO_DISPLAY;
	}
	~Surfaceless()
	{
		if (display != EGL_NO_DISPLAY)
			eglTerminate(display);
	}
};

TEST(EglSurfaceless, DisplayWithoutDeviceIsAParticipantWithoutLocality)
{
	Surfaceless s;
	if (s.display == EGL_NO_DISPLAY)
		GTEST_SKIP() << "no EGL_PLATFORM_SURFACELESS_MESA display here";
	auto info = hbm::egl::queryDisplay(s.display);
	ASSERT_TRUE(info) << info.error().toString();
	std::printf("surfaceless: device file '%s', Mesa driver '%s'\n", info->deviceFile.c_str(), info->mesaDriver.c_str());
	auto p = hbm::egl::displayParticipant(s.display);
	if (!p) {
		// llvmpipe without a device may lack dma-buf import: the error must name the extension.
		EXPECT_EQ(p.error().code, ENOTSUP) << p.error().toString();
		EXPECT_NE(p.error().message.find("EGL_EXT_image_dma_buf_import"), std::string::npos) << p.error().message;
		return;
	}
	EXPECT_EQ(p->constraints.placement.localTo, 0u);
	EXPECT_FALSE(p->constraints.formats.empty());
}

} // namespace
