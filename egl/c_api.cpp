// SPDX-License-Identifier: MIT
// The C ABI of libhbm-egl (hbm-egl.h) over hbm::egl, reporting through libhbm's
// hbm_last_error() (hbm/c_interop.hpp).
#include <hbm/hbm-egl.h>

#include <cerrno>
#include <cstddef>
#include <string>

#include <hbm/c_interop.hpp>
#include <hbm/egl/display.hpp>
#include <hbm/egl/image.hpp>

#include "egl_support.hpp"

namespace {

using hbm::interop::recordError;

int fail(int code, const std::string &message)
{
	return recordError(hbm::egl::detail::failure(code, message));
}

/// 0, or the failure of an option struct whose size this library cannot read.
template<typename T>
int checkSize(const char *name, uint32_t size, size_t firstSize)
{
	if (size < firstSize)
		return fail(EINVAL, std::string(name) + " has size " + std::to_string(size) +
					    ", smaller than its first version: set size = sizeof(" + name + ")");
	if (size > sizeof(T))
		return fail(E2BIG, std::string(name) + " has size " + std::to_string(size) +
					   ", larger than this libhbm-egl knows: the program was built against a newer hbm-egl.h");
	return 0;
}

} // namespace

extern "C" {

int hbm_egl_image_from_buffer(EGLDisplay display, struct hbm_buffer *buffer,
			      const struct hbm_egl_image_options *options, EGLImageKHR *out)
{
	if (!out)
		return fail(EINVAL, "hbm_egl_image_from_buffer: out is NULL");
	auto b = hbm::interop::bufferOf(buffer);
	if (!b)
		return fail(EINVAL, "hbm_egl_image_from_buffer: buffer is NULL (or an idle pool buffer)");
	hbm::egl::ImageOptions o;
	if (options) {
		if (int err = checkSize<hbm_egl_image_options>("struct hbm_egl_image_options", options->size,
							       offsetof(hbm_egl_image_options, chroma_vertical_siting) + sizeof(int32_t)))
			return err;
		o.colorSpace = options->color_space;
		o.sampleRange = options->sample_range;
		o.chromaHorizontalSiting = options->chroma_horizontal_siting;
		o.chromaVerticalSiting = options->chroma_vertical_siting;
	}
	auto image = hbm::egl::importBuffer(display, *b, o);
	if (!image)
		return recordError(image.error());
	*out = image->release(); // the caller's from here
	return 0;
}

int hbm_egl_buffer_from_image(EGLDisplay display, EGLImageKHR image, uint32_t width, uint32_t height,
			      struct hbm_buffer **out)
{
	if (!out)
		return fail(EINVAL, "hbm_egl_buffer_from_image: out is NULL");
	auto buffer = hbm::egl::exportImage(display, image, width, height);
	if (!buffer)
		return recordError(buffer.error());
	*out = hbm::interop::wrapBuffer(std::move(*buffer));
	return 0;
}

int hbm_egl_display_participant(EGLDisplay display, const struct hbm_egl_participant_options *options,
				struct hbm_participant **out)
{
	if (!out)
		return fail(EINVAL, "hbm_egl_display_participant: out is NULL");
	hbm::egl::ParticipantOptions o;
	std::shared_ptr<hbm::Context> context;
	if (options) {
		if (int err = checkSize<hbm_egl_participant_options>("struct hbm_egl_participant_options", options->size,
								     offsetof(hbm_egl_participant_options, drm_fd) + sizeof(const int *)))
			return err;
		if (options->use > HBM_EGL_USE_RENDERING)
			return fail(EINVAL, "hbm_egl_participant_options.use is " + std::to_string(options->use) +
						    ": HBM_EGL_USE_SAMPLING (0) or HBM_EGL_USE_RENDERING (1)");
		o.use = options->use == HBM_EGL_USE_RENDERING ? hbm::egl::DisplayUse::Rendering
							      : hbm::egl::DisplayUse::Sampling;
		if (options->drm_fd)
			o.drmFd = *options->drm_fd;
		if (options->context) {
			context = hbm::interop::contextOf(options->context);
			o.config = &context->config();
		}
	}
	auto participant = hbm::egl::displayParticipant(display, o);
	if (!participant)
		return recordError(participant.error());
	*out = hbm::interop::wrapParticipant(std::move(*participant));
	return 0;
}

} // extern "C"
