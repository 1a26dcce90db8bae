// SPDX-License-Identifier: MIT
// Render with GL ES into a buffer hbm negotiated for the EGL display, then read the pixels
// on the CPU through hbm.
//
//   hbm-egl-render /dev/dri/card1
//
// Read it top to bottom: 1. an EGL display on a DRM card (GBM platform), 2. the display
// as an hbm participant, 3. a plan and a buffer every participant can use, 4. the buffer as
// an EGLImage, rendered to through a framebuffer, 5. the same pixels read by the CPU.
// (On vkms or vgem, run it with MESA_LOADER_DRIVER_OVERRIDE=kms_swrast, as compositors
// are run there: without it Mesa's EGL names no DRM device.)

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>
#include <drm_fourcc.h>
#include <gbm.h>

#include <hbm/context.hpp>
#include <hbm/egl/display.hpp>
#include <hbm/egl/image.hpp>
#include <hbm/unique_fd.hpp>

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/dri/card0";

	// 1. EGL on the card, as any GBM program starts, and a GLES2 context without a surface.
	hbm::UniqueFd card(open(path, O_RDWR | O_CLOEXEC));
	if (!card) {
		std::fprintf(stderr, "%s: %s\n", path, std::strerror(errno));
		return 1;
	}
	gbm_device *gbm = gbm_create_device(card.get());
	auto getPlatformDisplay =
		reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(eglGetProcAddress("eglGetPlatformDisplayEXT"));
	EGLDisplay display = gbm && getPlatformDisplay ? getPlatformDisplay(EGL_PLATFORM_GBM_KHR, gbm, nullptr)
						       : EGL_NO_DISPLAY;
	if (display == EGL_NO_DISPLAY || !eglInitialize(display, nullptr, nullptr)) {
		std::fprintf(stderr, "no EGL display on %s: %s\n", path, hbm::egl::errorName(eglGetError()));
		return 1;
	}
	eglBindAPI(EGL_OPENGL_ES_API);
	const EGLint contextAttribs[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
	EGLContext context = eglCreateContext(display, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, contextAttribs);
	if (context == EGL_NO_CONTEXT || !eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
		std::fprintf(stderr, "no GLES2 context: %s\n", hbm::egl::errorName(eglGetError()));
		return 1;
	}

	// 2. The display introduces itself: the formats it imports for rendering, its device,
	//    and, if its renderer can use only its own device's memory, that constraint.
	//    Given our fd of the card, hbm asks it the driver's name instead of opening the node.
	hbm::egl::ParticipantOptions participantOptions;
	participantOptions.use = hbm::egl::DisplayUse::Rendering;
	participantOptions.drmFd = card.get();
	auto participant = hbm::egl::displayParticipant(display, participantOptions);
	if (!participant) {
		std::fprintf(stderr, "%s\n", participant.error().toString().c_str());
		return 1;
	}
	std::printf("participant: %s\n  %s\n", participant->name().c_str(), participant->source.c_str());

	// 3. hbm, given this card and the system heap, picks memory the display can use.
	hbm::ContextOptions options;
	options.probe = false;
	options.drmFds = {card.get()};
	options.heaps = {"system"};
	auto hbmContext = hbm::Context::create(options);
	if (!hbmContext) {
		std::fprintf(stderr, "%s\n", hbmContext.error().toString().c_str());
		return 1;
	}
	hbm::Request request;
	request.width = 256;
	request.height = 256;
	request.formats = {DRM_FORMAT_XRGB8888};
	request.usage = hbm::UsageRender | hbm::UsageCpuRead;
	auto plan = (*hbmContext)->negotiate(request, {*participant});
	if (!plan) {
		std::fprintf(stderr, "%s\n", plan.error().toString().c_str()); // names who refused and why
		return 1;
	}
	for (const std::string &line : plan->trace())
		std::printf("  plan: %s\n", line.c_str());
	auto buffer = (*hbmContext)->allocate(*plan);
	if (!buffer) {
		std::fprintf(stderr, "%s\n", buffer.error().toString().c_str());
		return 1;
	}

	// 4. The buffer as an EGLImage, bound to a texture and rendered to through a framebuffer.
	auto image = hbm::egl::importBuffer(display, **buffer);
	if (!image) {
		std::fprintf(stderr, "%s\n", image.error().toString().c_str());
		return 1;
	}
	auto imageTargetTexture = reinterpret_cast<PFNGLEGLIMAGETARGETTEXTURE2DOESPROC>(
		eglGetProcAddress("glEGLImageTargetTexture2DOES"));
	GLuint texture = 0, framebuffer = 0;
	glGenTextures(1, &texture);
	glBindTexture(GL_TEXTURE_2D, texture);
	imageTargetTexture(GL_TEXTURE_2D, image->get());
	glGenFramebuffers(1, &framebuffer);
	glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
	if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
		std::fprintf(stderr, "the buffer cannot be rendered to\n");
		return 1;
	}
	glViewport(0, 0, 256, 256);
	glClearColor(0.0f, 0.0f, 1.0f, 1.0f); // blue everywhere
	glClear(GL_COLOR_BUFFER_BIT);
	glEnable(GL_SCISSOR_TEST);
	glScissor(64, 64, 128, 128); // and a yellow square
	glClearColor(1.0f, 1.0f, 0.0f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	glFinish(); // the CPU reads next: GL must be done

	// 5. The CPU reads the same memory through hbm (which brackets it with DMA_BUF_IOCTL_SYNC).
	int status = 0;
	{
		auto access = (*buffer)->beginCpuAccess(hbm::CpuAccessMode::Read);
		if (!access) {
			std::fprintf(stderr, "%s\n", access.error().toString().c_str());
			return 1;
		}
		auto pixelAt = [&](uint32_t x, uint32_t y) {
			uint32_t v;
			std::memcpy(&v, access->plane(0).data() + size_t(y) * access->stride(0) + x * 4, 4);
			return v & 0xffffff; // XRGB8888: 0xRRGGBB
		};
		std::printf("pixel (10, 10) = 0x%06x (blue 0x0000ff), (128, 128) = 0x%06x (yellow 0xffff00)\n",
			    pixelAt(10, 10), pixelAt(128, 128));
		status = pixelAt(10, 10) == 0x0000ff && pixelAt(128, 128) == 0xffff00 ? 0 : 1;
	}

	glDeleteFramebuffers(1, &framebuffer);
	glDeleteTextures(1, &texture);
	image->reset();
	eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglDestroyContext(display, context);
	eglTerminate(display);
	gbm_device_destroy(gbm);
	return status;
}
