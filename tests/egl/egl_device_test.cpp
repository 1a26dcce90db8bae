// SPDX-License-Identifier: MIT
// libhbm-egl on a real renderer (issue 9, proof 5d): EGL on GBM of the vkms card, with
// Mesa's kms_swrast as the compositors in the lab run it. The display becomes a
// participant, hbm negotiates a buffer for it, GL renders into it and samples it, and the
// CPU reads the same pixels through hbm; memory the renderer cannot use is refused by
// negotiation, never handed to it. Skips on a machine without vkms; fails in the lab
// (HBM_LAB=1) without it.

#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>
#include <drm_fourcc.h>
#include <gbm.h>
#include <gtest/gtest.h>
#include <xf86drm.h>

#include <hbm/config.hpp>
#include <hbm/context.hpp>
#include <hbm/egl/display.hpp>
#include <hbm/egl/image.hpp>
#include <hbm/refusal.hpp>
#include <hbm/unique_fd.hpp>
#include "../fakes/lab_requirement.hpp"

namespace {

using hbm::test::inLab;

size_t openFdCount()
{
	size_t n = 0;
	if (DIR *d = opendir("/proc/self/fd")) {
		while (readdir(d))
			++n;
		closedir(d);
	}
	return n;
}

/// The first /dev/dri/card* whose kernel driver is @driver (card numbers follow probe order).
hbm::UniqueFd openCardByDriver(const char *driver)
{
	for (int i = 0; i < 16; ++i) {
		std::string path = "/dev/dri/card" + std::to_string(i);
		hbm::UniqueFd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
		if (!fd)
			continue;
		drmVersionPtr v = drmGetVersion(fd.get());
		const bool match = v && std::string(v->name, size_t(v->name_len)) == driver;
		drmFreeVersion(v);
		if (match)
			return fd;
	}
	return hbm::UniqueFd();
}

/// One EGL display on GBM of the vkms card for the whole binary: eglInitialize costs ~11 s
/// under TCG.
struct VkmsEgl {
	hbm::UniqueFd card;
	dev_t device = 0;
	gbm_device *gbm = nullptr;
	EGLDisplay display = EGL_NO_DISPLAY;
	EGLContext context = EGL_NO_CONTEXT;
	std::string problem; ///< why there is no display, "" when there is
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC imageTargetTexture = nullptr;

	VkmsEgl()
	{
		card = openCardByDriver("vkms");
		if (!card) {
			problem = "no vkms card in /dev/dri";
			return;
		}
		struct stat st {};
		fstat(card.get(), &st);
		device = st.st_rdev;
		// Without it Mesa runs its software EGL device, which names no DRM device (LAB.md).
		setenv("MESA_LOADER_DRIVER_OVERRIDE", "kms_swrast", 1);
		gbm = gbm_create_device(card.get());
		if (!gbm) {
			problem = "gbm_create_device failed on the vkms card";
			return;
		}
		auto getPlatformDisplay =
			reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(eglGetProcAddress("eglGetPlatformDisplayEXT"));
		display = getPlatformDisplay ? getPlatformDisplay(EGL_PLATFORM_GBM_KHR, gbm, nullptr) : EGL_NO_DISPLAY;
		EGLint major = 0, minor = 0;
		if (display == EGL_NO_DISPLAY || !eglInitialize(display, &major, &minor)) {
			problem = std::string("eglInitialize on GBM of vkms: ") + hbm::egl::errorName(eglGetError());
			display = EGL_NO_DISPLAY;
			return;
		}
		eglBindAPI(EGL_OPENGL_ES_API);
		const EGLint attribs[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
		context = eglCreateContext(display, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, attribs);
		if (context == EGL_NO_CONTEXT ||
		    !eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
			problem = std::string("no surfaceless GLES2 context: ") + hbm::egl::errorName(eglGetError());
			return;
		}
		imageTargetTexture = reinterpret_cast<PFNGLEGLIMAGETARGETTEXTURE2DOESPROC>(
			eglGetProcAddress("glEGLImageTargetTexture2DOES"));
	}
	~VkmsEgl()
	{
		if (display != EGL_NO_DISPLAY) {
			eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
			if (context != EGL_NO_CONTEXT)
				eglDestroyContext(display, context);
			eglTerminate(display);
		}
		if (gbm)
			gbm_device_destroy(gbm);
	}
};

VkmsEgl &vkmsEgl()
{
	static VkmsEgl egl;
	return egl;
}

#define REQUIRE_VKMS_EGL()                                                                  \
	do {                                                                                \
		if (!vkmsEgl().problem.empty()) {                                           \
			if (inLab())                                                        \
				FAIL() << "lab guest: " << vkmsEgl().problem;               \
			else                                                                \
				GTEST_SKIP() << vkmsEgl().problem << " (runs in the lab suite)"; \
		}                                                                           \
	} while (0)

constexpr uint32_t kSize = 64;

/// An hbm context on the vkms card and the system heap only, as a compositor makes one.
std::shared_ptr<hbm::Context> vkmsContext(bool withCard = true)
{
	hbm::ContextOptions options;
	options.probe = false;
	if (withCard)
		options.drmFds = {vkmsEgl().card.get()};
	options.heaps = {"system"};
	options.readConfiguration = false;
	auto ctx = hbm::Context::create(options);
	EXPECT_TRUE(ctx) << ctx.error().toString();
	return ctx ? *ctx : nullptr;
}

hbm::Request request()
{
	hbm::Request r;
	r.width = kSize;
	r.height = kSize;
	r.formats = {DRM_FORMAT_XRGB8888};
	r.usage = hbm::UsageRender | hbm::UsageTexture | hbm::UsageCpuRead;
	return r;
}

/// A texture and framebuffer drawing into @image.
struct Target {
	GLuint texture = 0;
	GLuint fbo = 0;
	explicit Target(EGLImageKHR image)
	{
		glGenTextures(1, &texture);
		glBindTexture(GL_TEXTURE_2D, texture);
		glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
		glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
		vkmsEgl().imageTargetTexture(GL_TEXTURE_2D, image);
		glGenFramebuffers(1, &fbo);
		glBindFramebuffer(GL_FRAMEBUFFER, fbo);
		glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
	}
	~Target()
	{
		glBindFramebuffer(GL_FRAMEBUFFER, 0);
		glDeleteFramebuffers(1, &fbo);
		glDeleteTextures(1, &texture);
	}
};

/// The pattern: red everywhere, a green square, a blue bar (scissored clears), as
/// 0xAARRGGBB at (x, y) of memory row y.
uint32_t expectedPixel(uint32_t x, uint32_t y)
{
	if (x >= 8 && x < 24 && y >= 8 && y < 24)
		return 0x00ff00;
	if (y >= 40 && y < 44)
		return 0x0000ff;
	return 0xff0000;
}

void drawPattern()
{
	glViewport(0, 0, kSize, kSize);
	glDisable(GL_SCISSOR_TEST);
	glClearColor(1, 0, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	glEnable(GL_SCISSOR_TEST);
	glScissor(8, 8, 16, 16);
	glClearColor(0, 1, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	glScissor(0, 40, kSize, 4);
	glClearColor(0, 0, 1, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	glDisable(GL_SCISSOR_TEST);
	glFinish();
}

/// Pixels of the bound framebuffer as 0xRRGGBB, row y = GL row y.
std::vector<uint32_t> readGl()
{
	std::vector<uint8_t> rgba(kSize * kSize * 4);
	glReadPixels(0, 0, kSize, kSize, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
	std::vector<uint32_t> out(kSize * kSize);
	for (size_t i = 0; i < out.size(); ++i)
		out[i] = uint32_t(rgba[4 * i]) << 16 | uint32_t(rgba[4 * i + 1]) << 8 | rgba[4 * i + 2];
	return out;
}

/// The buffer's XRGB8888 pixels through hbm's CPU access, as 0xRRGGBB.
std::vector<uint32_t> readCpu(hbm::Buffer &buffer)
{
	std::vector<uint32_t> out;
	auto access = buffer.beginCpuAccess(hbm::CpuAccessMode::Read);
	EXPECT_TRUE(access) << access.error().toString();
	if (!access)
		return out;
	auto bytes = access->plane(0);
	const uint32_t stride = access->stride(0);
	for (uint32_t y = 0; y < kSize; ++y)
		for (uint32_t x = 0; x < kSize; ++x) {
			uint32_t v;
			std::memcpy(&v, bytes.data() + size_t(y) * stride + x * 4, 4);
			out.push_back(v & 0xffffff);
		}
	return out;
}

size_t mismatches(const std::vector<uint32_t> &a, const std::vector<uint32_t> &b)
{
	if (a.size() != b.size())
		return std::max(a.size(), b.size());
	size_t n = 0;
	for (size_t i = 0; i < a.size(); ++i)
		n += a[i] != b[i];
	return n;
}

std::vector<uint32_t> expectedPattern()
{
	std::vector<uint32_t> out;
	for (uint32_t y = 0; y < kSize; ++y)
		for (uint32_t x = 0; x < kSize; ++x)
			out.push_back(expectedPixel(x, y));
	return out;
}

GLuint compile(GLenum type, const char *source)
{
	GLuint shader = glCreateShader(type);
	glShaderSource(shader, 1, &source, nullptr);
	glCompileShader(shader);
	GLint ok = 0;
	glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
	EXPECT_TRUE(ok) << "shader did not compile";
	return shader;
}

/// Draws @texture over the whole bound framebuffer, texel for pixel.
void drawTextured(GLuint texture)
{
	static const char *vs = "attribute vec2 pos; varying vec2 tc;\n"
				"void main() { tc = pos * 0.5 + 0.5; gl_Position = vec4(pos, 0.0, 1.0); }\n";
	static const char *fs = "precision mediump float; varying vec2 tc; uniform sampler2D tex;\n"
				"void main() { gl_FragColor = texture2D(tex, tc); }\n";
	GLuint program = glCreateProgram();
	GLuint v = compile(GL_VERTEX_SHADER, vs), f = compile(GL_FRAGMENT_SHADER, fs);
	glAttachShader(program, v);
	glAttachShader(program, f);
	glBindAttribLocation(program, 0, "pos");
	glLinkProgram(program);
	glUseProgram(program);
	const GLfloat quad[] = {-1, -1, 1, -1, -1, 1, 1, 1};
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, quad);
	glEnableVertexAttribArray(0);
	glActiveTexture(GL_TEXTURE0);
	glBindTexture(GL_TEXTURE_2D, texture);
	glUniform1i(glGetUniformLocation(program, "tex"), 0);
	glViewport(0, 0, kSize, kSize);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
	glFinish();
	glDisableVertexAttribArray(0);
	glUseProgram(0);
	glDeleteProgram(program);
	glDeleteShader(v);
	glDeleteShader(f);
}

TEST(EglVkms, DisplayIsAParticipantLocalToItsDevice)
{
	REQUIRE_VKMS_EGL();
	auto info = hbm::egl::queryDisplay(vkmsEgl().display);
	ASSERT_TRUE(info) << info.error().toString();
	// The same from the caller's fd of the card, which spares opening the node.
	auto fromFd = hbm::egl::queryDisplay(vkmsEgl().display, vkmsEgl().card.get());
	ASSERT_TRUE(fromFd) << fromFd.error().toString();
	EXPECT_EQ(fromFd->kernelDriver, "vkms");
	EXPECT_EQ(fromFd->device, info->device);
	EXPECT_EQ(info->device, vkmsEgl().device) << info->deviceFile;
	EXPECT_EQ(info->kernelDriver, "vkms");
	EXPECT_EQ(info->mesaDriver, "kms_swrast");

	auto p = hbm::egl::displayParticipant(vkmsEgl().display, {hbm::egl::DisplayUse::Rendering});
	ASSERT_TRUE(p) << p.error().toString();
	EXPECT_EQ(p->name(), "vkms EGL display (" + std::to_string(major(vkmsEgl().device)) + ":" +
				     std::to_string(minor(vkmsEgl().device)) + ")");
	EXPECT_EQ(p->constraints.placement.localTo, vkmsEgl().device);
	EXPECT_EQ(p->sysfsPath.rfind("/sys/devices/", 0), 0u) << p->sysfsPath;
	EXPECT_NE(p->source.find("MAP_DUMB"), std::string::npos) << p->source;
	// LAB.md: 43 formats, no modifiers: implicit layouts, and linear ones as implicit.
	EXPECT_EQ(p->constraints.formats.modifiers(DRM_FORMAT_XRGB8888).size(), 2u) << p->constraints.formats.toString();
	EXPECT_TRUE(p->constraints.formats.contains(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID));
	EXPECT_TRUE(p->constraints.formats.contains(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
	// Configuration turns the table's entry off for this display, without a rebuild.
	auto config = hbm::parseConfig("[renderer.fixed]\nmatch.mesa_driver = \"kms_swrast\"\ndevice_local = false\n",
				       "test.toml");
	ASSERT_TRUE(config) << config.error().toString();
	hbm::egl::ParticipantOptions overridden;
	overridden.config = &*config;
	auto free = hbm::egl::displayParticipant(vkmsEgl().display, overridden);
	ASSERT_TRUE(free) << free.error().toString();
	EXPECT_EQ(free->constraints.placement.localTo, 0u);
	EXPECT_EQ(free->constraints.formats, hbm::egl::displayParticipant(vkmsEgl().display)->constraints.formats);

	std::printf("participant: %s; %zu formats, %zu pairs\nsource: %s\n", p->name().c_str(),
		    p->constraints.formats.formatCount(), p->constraints.formats.pairCount(), p->source.c_str());
}

TEST(EglVkms, RendersIntoNegotiatedBufferAndCpuReadsTheSamePixels)
{
	REQUIRE_VKMS_EGL();
	const size_t fdsBefore = openFdCount();
	{
		auto ctx = vkmsContext();
		ASSERT_TRUE(ctx);
		auto participant = hbm::egl::displayParticipant(vkmsEgl().display, {hbm::egl::DisplayUse::Rendering});
		ASSERT_TRUE(participant) << participant.error().toString();
		auto plan = ctx->negotiate(request(), {*participant});
		ASSERT_TRUE(plan) << plan.error().toString();
		std::printf("plan: %s, modifier 0x%llx\n", plan->allocator().c_str(),
			    static_cast<unsigned long long>(plan->modifier()));
		EXPECT_TRUE(plan->allocator().rfind("dumb", 0) == 0 || plan->allocator().rfind("gbm", 0) == 0)
			<< "the renderer's memory must be vkms's, got " << plan->allocator();
		auto buffer = ctx->allocate(*plan);
		ASSERT_TRUE(buffer) << buffer.error().toString();

		auto image = hbm::egl::importBuffer(vkmsEgl().display, **buffer);
		ASSERT_TRUE(image) << image.error().toString();
		std::vector<uint32_t> gl, cpu;
		{
			Target target(image->get());
			ASSERT_EQ(glCheckFramebufferStatus(GL_FRAMEBUFFER), GLenum(GL_FRAMEBUFFER_COMPLETE));
			drawPattern();
			gl = readGl();
		}
		cpu = readCpu(**buffer);
		EXPECT_EQ(mismatches(gl, expectedPattern()), 0u) << "GL's own reading differs from what it drew";
		EXPECT_EQ(mismatches(cpu, gl), 0u) << "hbm's CPU view differs from GL's";
		EXPECT_EQ(glGetError(), GLenum(GL_NO_ERROR));

		// Sampling: draw the rendered buffer, as a texture, into a second hbm buffer.
		auto samplingParticipant = hbm::egl::displayParticipant(vkmsEgl().display);
		ASSERT_TRUE(samplingParticipant) << samplingParticipant.error().toString();
		auto plan2 = ctx->negotiate(request(), {*participant, *samplingParticipant});
		ASSERT_TRUE(plan2) << plan2.error().toString();
		auto dst = ctx->allocate(*plan2);
		ASSERT_TRUE(dst) << dst.error().toString();
		auto dstImage = hbm::egl::importBuffer(vkmsEgl().display, **dst);
		ASSERT_TRUE(dstImage) << dstImage.error().toString();
		{
			Target source(image->get());
			Target target(dstImage->get());
			ASSERT_EQ(glCheckFramebufferStatus(GL_FRAMEBUFFER), GLenum(GL_FRAMEBUFFER_COMPLETE));
			glClearColor(0, 0, 0, 1);
			glClear(GL_COLOR_BUFFER_BIT);
			drawTextured(source.texture);
		}
		EXPECT_EQ(mismatches(readCpu(**dst), expectedPattern()), 0u) << "the sampled copy differs";
		EXPECT_EQ(glGetError(), GLenum(GL_NO_ERROR));
	}
	EXPECT_EQ(openFdCount(), fdsBefore) << "descriptors leaked";
}

TEST(EglVkms, SystemHeapMemoryIsRefusedByNegotiationNotHandedToTheRenderer)
{
	REQUIRE_VKMS_EGL();
	auto participant = hbm::egl::displayParticipant(vkmsEgl().display, {hbm::egl::DisplayUse::Sampling});
	ASSERT_TRUE(participant) << participant.error().toString();
	// Only the system heap to choose from: negotiation must refuse, naming device locality.
	auto heapOnly = vkmsContext(false);
	ASSERT_TRUE(heapOnly);
	auto plan = heapOnly->negotiate(request(), {*participant});
	ASSERT_FALSE(plan) << "a system-heap plan was offered to kms_swrast: " << plan->allocator();
	ASSERT_TRUE(plan.error().refusal);
	bool notLocal = false;
	for (const hbm::Rejection &r : plan.error().refusal->rejections)
		notLocal = notLocal || r.reason == hbm::RejectReason::NotDeviceLocal;
	EXPECT_TRUE(notLocal) << plan.error().message;
	std::printf("refusal: %s\n", plan.error().message.c_str());

	// A system-heap buffer that exists already is refused the same way on attach.
	hbm::AllocationOptions options;
	options.allocator = "dma-heap:system";
	auto buffer = heapOnly->allocate(hbm::BufferDesc{kSize, kSize, DRM_FORMAT_XRGB8888}, options);
	ASSERT_TRUE(buffer) << buffer.error().toString();
	auto attached = (*buffer)->attach(*participant);
	ASSERT_FALSE(attached);
	ASSERT_TRUE(attached.error().refusal);
	EXPECT_EQ(attached.error().refusal->reason(), hbm::RejectReason::NotDeviceLocal) << attached.error().message;
}

TEST(EglVkms, YuvHintsReachEglAndABadOneIsNamed)
{
	REQUIRE_VKMS_EGL();
	const size_t fdsBefore = openFdCount();
	{
		auto ctx = vkmsContext();
		ASSERT_TRUE(ctx);
		auto participant = hbm::egl::displayParticipant(vkmsEgl().display);
		ASSERT_TRUE(participant) << participant.error().toString();
		auto plan = ctx->negotiate(request(), {*participant});
		ASSERT_TRUE(plan) << plan.error().toString();
		auto buffer = ctx->allocate(*plan);
		ASSERT_TRUE(buffer) << buffer.error().toString();

		hbm::egl::ImageOptions hints;
		hints.colorSpace = EGL_ITU_REC709_EXT;
		hints.sampleRange = EGL_YUV_NARROW_RANGE_EXT;
		hints.chromaHorizontalSiting = EGL_YUV_CHROMA_SITING_0_EXT;
		hints.chromaVerticalSiting = EGL_YUV_CHROMA_SITING_0_5_EXT;
		auto image = hbm::egl::importBuffer(vkmsEgl().display, **buffer, hints);
		EXPECT_TRUE(image) << image.error().toString();

		// Mesa checks hint values whatever the format: a wrong one proves the hint is passed,
		// and the error names EGL's.
		hints.colorSpace = 0x1234;
		auto refused = hbm::egl::importBuffer(vkmsEgl().display, **buffer, hints);
		ASSERT_FALSE(refused);
		EXPECT_NE(refused.error().message.find("EGL_BAD_ATTRIBUTE"), std::string::npos) << refused.error().message;
		std::printf("bad hint: %s\n", refused.error().toString().c_str());
	}
	EXPECT_EQ(openFdCount(), fdsBefore) << "descriptors leaked";
}

TEST(EglVkms, ExportsAnImageOfAGbmBoIntoHbm)
{
	REQUIRE_VKMS_EGL();
	const size_t fdsBefore = openFdCount();
	{
		gbm_bo *bo = gbm_bo_create(vkmsEgl().gbm, kSize, kSize, GBM_FORMAT_XRGB8888, GBM_BO_USE_RENDERING);
		ASSERT_NE(bo, nullptr);
		std::unique_ptr<gbm_bo, decltype(&gbm_bo_destroy)> owned(bo, gbm_bo_destroy);
		auto create = reinterpret_cast<PFNEGLCREATEIMAGEKHRPROC>(eglGetProcAddress("eglCreateImageKHR"));
		auto image = hbm::egl::Image::adopt(vkmsEgl().display,
						    create(vkmsEgl().display, EGL_NO_CONTEXT, EGL_NATIVE_PIXMAP_KHR, bo, nullptr));
		ASSERT_TRUE(image) << hbm::egl::errorName(eglGetError());
		std::vector<uint32_t> gl;
		{
			Target target(image.get());
			ASSERT_EQ(glCheckFramebufferStatus(GL_FRAMEBUFFER), GLenum(GL_FRAMEBUFFER_COMPLETE));
			drawPattern();
			gl = readGl();
		}
		auto buffer = hbm::egl::exportImage(vkmsEgl().display, image.get(), kSize, kSize);
		ASSERT_TRUE(buffer) << buffer.error().toString();
		EXPECT_GE((*buffer)->planeFd(0).get(), 0);
		EXPECT_EQ((*buffer)->format(), uint32_t(DRM_FORMAT_XRGB8888));
		std::printf("exported: %ux%u modifier 0x%llx stride %u\n", (*buffer)->width(), (*buffer)->height(),
			    static_cast<unsigned long long>((*buffer)->modifier()), (*buffer)->layout().planes[0].stride);
		EXPECT_EQ(mismatches(gl, expectedPattern()), 0u);
		EXPECT_EQ(mismatches(readCpu(**buffer), expectedPattern()), 0u) << "hbm reads other pixels than GL drew";
	}
	EXPECT_EQ(openFdCount(), fdsBefore) << "descriptors leaked";
}

TEST(EglVkms, ImageOfATextureThatCannotBeExportedIsAnErrorNotABuffer)
{
	REQUIRE_VKMS_EGL();
	const size_t fdsBefore = openFdCount();
	{
		GLuint texture = 0;
		glGenTextures(1, &texture);
		glBindTexture(GL_TEXTURE_2D, texture);
		glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, kSize, kSize, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
		auto create = reinterpret_cast<PFNEGLCREATEIMAGEKHRPROC>(eglGetProcAddress("eglCreateImageKHR"));
		auto image = hbm::egl::Image::adopt(
			vkmsEgl().display, create(vkmsEgl().display, eglGetCurrentContext(), EGL_GL_TEXTURE_2D_KHR,
						  reinterpret_cast<EGLClientBuffer>(uintptr_t(texture)), nullptr));
		ASSERT_TRUE(image) << hbm::egl::errorName(eglGetError());
		auto buffer = hbm::egl::exportImage(vkmsEgl().display, image.get(), kSize, kSize);
		if (buffer) {
			// Not what LAB.md measured; if Mesa exports it, it must at least be a real buffer.
			EXPECT_GE((*buffer)->planeFd(0).get(), 0);
		} else {
			std::printf("texture export: %s\n", buffer.error().toString().c_str());
			EXPECT_NE(buffer.error().message.find("fd -1"), std::string::npos) << buffer.error().message;
		}
		image.reset();
		glDeleteTextures(1, &texture);
	}
	EXPECT_EQ(openFdCount(), fdsBefore) << "descriptors leaked";
}

} // namespace
