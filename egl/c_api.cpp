// SPDX-License-Identifier: MIT
// The C ABI of libhbm-egl (hbm-egl.h) over hbm::egl. hbm.h's convention is kept by
// libhbm's own helpers (src/seam/c_interop.hpp): the struct reader, the error recorder and the
// one handle per Buffer.
#include <hbm/hbm-egl.h>

#include <cerrno>
#include <string>

#include "c_interop.hpp"
#include <hbm/egl/display.hpp>
#include <hbm/egl/image.hpp>

HBM_C_STRUCT(hbm_egl_image_options, HBM_EGL_IMAGE_OPTIONS_SIZE_V1)
HBM_C_STRUCT(hbm_egl_participant_options, HBM_EGL_PARTICIPANT_OPTIONS_SIZE_V1)

namespace {

using hbm_seam::fail;
using hbm_seam::readStruct;
using hbm_seam::recordError;

} // namespace

extern "C" {

int hbm_egl_image_create_from_buffer(EGLDisplay display, struct hbm_buffer *buffer,
				     const struct hbm_egl_image_options *options, EGLImageKHR *out)
{
	static const char *const function = "hbm_egl_image_create_from_buffer";
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	auto b = hbm_seam::bufferOf(buffer);
	if (!b)
		return fail(EINVAL, "%s: buffer is NULL (or an idle pool buffer)", function);
	hbm_egl_image_options in;
	if (int err = readStruct(function, options, &in))
		return err;
	hbm::egl::ImageOptions o;
	o.colorSpace = in.color_space;
	o.sampleRange = in.sample_range;
	o.chromaHorizontalSiting = in.chroma_horizontal_siting;
	o.chromaVerticalSiting = in.chroma_vertical_siting;
	auto image = hbm::egl::importBuffer(display, *b, o);
	if (!image)
		return recordError(image.error());
	*out = image->release(); // the caller's from here
	return 0;
}

int hbm_egl_buffer_create_from_image(EGLDisplay display, EGLImageKHR image, uint32_t width, uint32_t height,
				     struct hbm_buffer **out)
{
	if (!out)
		return fail(EINVAL, "hbm_egl_buffer_create_from_image: out is NULL");
	auto buffer = hbm::egl::exportImage(display, image, width, height);
	if (!buffer)
		return recordError(buffer.error());
	*out = hbm_seam::wrapBuffer(std::move(*buffer));
	return 0;
}

int hbm_egl_participant_create_for_display(EGLDisplay display, const struct hbm_egl_participant_options *options,
					   struct hbm_participant **out)
{
	static const char *const function = "hbm_egl_participant_create_for_display";
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	hbm_egl_participant_options in;
	if (int err = readStruct(function, options, &in))
		return err;
	if (in.use > HBM_EGL_USE_RENDERING)
		return fail(EINVAL, "%s: use is %u: HBM_EGL_USE_SAMPLING (0) or HBM_EGL_USE_RENDERING (1)", function, in.use);
	hbm::egl::ParticipantOptions o;
	o.use = in.use == HBM_EGL_USE_RENDERING ? hbm::egl::DisplayUse::Rendering : hbm::egl::DisplayUse::Sampling;
	if (in.drm_fd)
		o.drmFd = *in.drm_fd;
	std::shared_ptr<hbm::Context> context = hbm_seam::contextOf(in.context);
	if (context)
		o.config = &context->config();
	auto participant = hbm::egl::displayParticipant(display, o);
	if (!participant)
		return recordError(participant.error());
	*out = hbm_seam::wrapParticipant(std::move(*participant));
	return 0;
}

} // extern "C"
