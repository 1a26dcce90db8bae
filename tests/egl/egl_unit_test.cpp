// SPDX-License-Identifier: MIT
// libhbm-egl without a device: the renderer table and its configuration override (pure),
// EGL error names, bad input, and Mesa's surfaceless display where the host has one.

#include <cerrno>
#include <cstdlib>
#include <string>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <gtest/gtest.h>

#include <hbm/config.hpp>
#include <hbm/egl/display.hpp>
#include <hbm/egl/image.hpp>
#include <hbm/renderer.hpp>

namespace {

hbm::Config parsed(const std::string &text)
{
	auto config = hbm::parseConfig(text, "hbm.toml");
	EXPECT_TRUE(config) << config.error().toString();
	return config ? *config : hbm::Config{};
}

void expectError(const std::string &text, const std::string &where, const std::string &what)
{
	auto config = hbm::parseConfig(text, "hbm.toml");
	ASSERT_FALSE(config) << text;
	EXPECT_EQ(config.error().code, EINVAL);
	EXPECT_NE(config.error().message.find(where), std::string::npos) << config.error().message;
	EXPECT_NE(config.error().message.find(what), std::string::npos) << config.error().message;
}

TEST(RendererRules, Parse)
{
	auto config = parsed("[renderer.panfrost-measured]\nmatch.drm_driver = \"panfrost\"\n"
			     "match.mesa_driver = \"kms_swrast\"\ndevice_local = true\n"
			     "[renderer.vgem-off]\nmatch.drm_driver = \"vgem\"\ndevice_local = false\n");
	ASSERT_EQ(config.renderers.size(), 2u);
	EXPECT_EQ(config.renderers[0].name, "panfrost-measured");
	EXPECT_EQ(config.renderers[0].drmDriver, "panfrost");
	EXPECT_EQ(config.renderers[0].mesaDriver, "kms_swrast");
	EXPECT_TRUE(config.renderers[0].deviceLocal);
	EXPECT_EQ(config.renderers[1].drmDriver, "vgem");
	EXPECT_EQ(config.renderers[1].mesaDriver, "");
	EXPECT_FALSE(config.renderers[1].deviceLocal);
}

TEST(RendererRules, ParseErrorsNameLineAndColumn)
{
	expectError("[renderer.a]\nmatch.drm_driver = \"vkms\"\ndevice_local = 1\n", "hbm.toml:3:16:", "device_local");
	expectError("[renderer.a]\nmatch.gpu = \"x\"\ndevice_local = true\n", "hbm.toml:2:", "unknown key 'gpu'");
	expectError("[renderer.a]\ndevice_local = true\n", "hbm.toml:1:", "matches nothing");
	expectError("[renderer.a]\nmatch.drm_driver = \"vkms\"\n", "hbm.toml:1:", "needs device_local");
	expectError("[renderer.a]\nmatch.mesa_driver = \"\"\ndevice_local = true\n", "hbm.toml:2:", "is empty");
	expectError("[renderer.a]\nlocal = true\n", "hbm.toml:2:", "unknown key 'local'");
}

TEST(RendererRules, OneLineOverride)
{
	auto config = hbm::parseConfig("", "hbm.toml",
				       "renderer.x.match.drm_driver=\"vkms\";renderer.x.device_local=false");
	ASSERT_TRUE(config) << config.error().toString();
	ASSERT_EQ(config->renderers.size(), 1u);
	EXPECT_FALSE(hbm::rendererLocality(&*config, "vkms", "kms_swrast").deviceLocal);
}

TEST(RendererLocality, TableWithoutConfiguration)
{
	auto swrast = hbm::rendererLocality(nullptr, "vkms", "kms_swrast");
	EXPECT_TRUE(swrast.deviceLocal);
	EXPECT_NE(swrast.reason.find("MAP_DUMB"), std::string::npos);
	EXPECT_NE(swrast.source.find("drm_gem.c"), std::string::npos);
	EXPECT_TRUE(hbm::rendererLocality(nullptr, "vgem", "").deviceLocal);
	// A hardware driver on a device the table knows is not kms_swrast: no restriction.
	EXPECT_FALSE(hbm::rendererLocality(nullptr, "vkms", "iris").deviceLocal);
	EXPECT_FALSE(hbm::rendererLocality(nullptr, "amdgpu", "radeonsi").deviceLocal);
}

TEST(RendererLocality, ConfigurationAddsAndTurnsOff)
{
	auto config = parsed("[renderer.measured]\nmatch.drm_driver = \"cirrus\"\ndevice_local = true\n"
			     "[renderer.off]\nmatch.mesa_driver = \"kms_swrast\"\ndevice_local = false\n");
	auto cirrus = hbm::rendererLocality(&config, "cirrus", "");
	EXPECT_TRUE(cirrus.deviceLocal);
	EXPECT_EQ(cirrus.source, "configuration hbm.toml [renderer.measured]");
	auto off = hbm::rendererLocality(&config, "vkms", "kms_swrast");
	EXPECT_FALSE(off.deviceLocal);
	EXPECT_EQ(off.source, "configuration hbm.toml [renderer.off]");
	// Rules that do not match leave the table in force.
	EXPECT_TRUE(hbm::rendererLocality(&config, "vgem", "").deviceLocal);
	// Every match key given must be equal.
	auto both = parsed("[renderer.b]\nmatch.drm_driver = \"vkms\"\nmatch.mesa_driver = \"iris\"\ndevice_local = true\n");
	EXPECT_EQ(hbm::rendererLocality(&both, "vkms", "kms_swrast").source.find("renderer.b"), std::string::npos);
	EXPECT_TRUE(hbm::rendererLocality(&both, "vkms", "iris").deviceLocal);
	EXPECT_FALSE(hbm::rendererLocality(&both, "amdgpu", "iris").deviceLocal);
}

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
