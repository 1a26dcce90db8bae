// SPDX-License-Identifier: MIT
#include <hbm/egl/image.hpp>

#include <array>
#include <cerrno>
#include <utility>
#include <vector>

#include <drm_fourcc.h>

#include <hbm/unique_fd.hpp>

#include "dma_buf_attribs.hpp"
#include "egl_support.hpp"

namespace hbm::egl {

using detail::displayHas;
using detail::makeError;
using detail::eglFailure;
using detail::proc;

Image::Image(Image &&other) noexcept
	: display_(std::exchange(other.display_, EGL_NO_DISPLAY)),
	  image_(std::exchange(other.image_, EGL_NO_IMAGE_KHR))
{
}

Image &Image::operator=(Image &&other) noexcept
{
	if (this != &other) {
		reset();
		display_ = std::exchange(other.display_, EGL_NO_DISPLAY);
		image_ = std::exchange(other.image_, EGL_NO_IMAGE_KHR);
	}
	return *this;
}

Image::~Image()
{
	reset();
}

void Image::reset()
{
	if (image_ != EGL_NO_IMAGE_KHR) {
		// Looked up here rather than kept: an Image is a plain pair, and the entry point
		// is the same for every display of the process.
		if (auto destroy = proc<PFNEGLDESTROYIMAGEKHRPROC>("eglDestroyImageKHR"))
			destroy(display_, image_);
	}
	display_ = EGL_NO_DISPLAY;
	image_ = EGL_NO_IMAGE_KHR;
}

EGLImageKHR Image::release()
{
	display_ = EGL_NO_DISPLAY;
	return std::exchange(image_, EGL_NO_IMAGE_KHR);
}

Image Image::adopt(EGLDisplay display, EGLImageKHR image)
{
	Image out;
	out.display_ = display;
	out.image_ = image;
	return out;
}

namespace {

constexpr const char *kImport = "EGL_EXT_image_dma_buf_import";
constexpr const char *kModifiers = "EGL_EXT_image_dma_buf_import_modifiers";
constexpr const char *kExport = "EGL_MESA_image_dma_buf_export";

} // namespace

Result<Image> importBuffer(EGLDisplay display, const Buffer &buffer, const ImageOptions &options)
{
	if (display == EGL_NO_DISPLAY)
		return makeError(EINVAL, "importBuffer: no EGL display (EGL_NO_DISPLAY)");
	const char *extensions = eglQueryString(display, EGL_EXTENSIONS);
	if (!extensions)
		return eglFailure("eglQueryString(EGL_EXTENSIONS) of the display (is it initialised?)");
	if (!detail::hasExtension(extensions, kImport))
		return makeError(ENOTSUP, std::string("the EGL display lacks ") + kImport + ": it cannot import dma-bufs");
	auto create = proc<PFNEGLCREATEIMAGEKHRPROC>("eglCreateImageKHR");
	if (!create)
		return makeError(ENOTSUP, "eglCreateImageKHR is missing (EGL_KHR_image_base)");

	detail::DmaBufImage desc{buffer.width(), buffer.height(), buffer.format(), buffer.modifier(), {}};
	for (size_t i = 0; i < buffer.planeCount(); ++i) {
		const PlaneLayout &p = buffer.layout().planes[i];
		desc.planes.push_back({buffer.planeFd(i).get(), p.offset, p.stride});
	}
	detail::DmaBufImportAbility ability;
	ability.modifiers = detail::hasExtension(extensions, kModifiers);
	ability.listsLinear = ability.modifiers && buffer.modifier() == DRM_FORMAT_MOD_LINEAR &&
			      detail::listsModifier(display, buffer.format(), DRM_FORMAT_MOD_LINEAR);
	auto attribs = detail::dmaBufImageAttribs(desc, ability, options);
	if (!attribs)
		return attribs.error();

	// The fds stay the Buffer's: EGL takes its own references to the dma-bufs.
	EGLImageKHR image = create(display, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, nullptr, attribs->data());
	if (image == EGL_NO_IMAGE_KHR)
		return eglFailure("eglCreateImageKHR(EGL_LINUX_DMA_BUF_EXT, " + std::to_string(buffer.width()) + "x" +
				  std::to_string(buffer.height()) + ", " + std::to_string(buffer.planeCount()) + " planes)");
	return Image::adopt(display, image);
}

Result<std::shared_ptr<Buffer>> exportImage(EGLDisplay display, EGLImageKHR image, uint32_t width, uint32_t height)
{
	if (display == EGL_NO_DISPLAY || image == EGL_NO_IMAGE_KHR)
		return makeError(EINVAL, "exportImage: no EGL display or no image");
	if (!displayHas(display, kExport))
		return makeError(ENOTSUP, std::string("the EGL display lacks ") + kExport + ": it cannot export images");
	auto query = proc<PFNEGLEXPORTDMABUFIMAGEQUERYMESAPROC>("eglExportDMABUFImageQueryMESA");
	auto exportFds = proc<PFNEGLEXPORTDMABUFIMAGEMESAPROC>("eglExportDMABUFImageMESA");
	if (!query || !exportFds)
		return makeError(ENOTSUP, std::string(kExport) + " is listed but its entry points are missing");

	int fourcc = 0;
	int planes = 0;
	std::array<EGLuint64KHR, 4> modifiers{};
	// The modifiers are written one per plane, and there are at most four.
	if (!query(display, image, &fourcc, &planes, modifiers.data()))
		return eglFailure("eglExportDMABUFImageQueryMESA");
	if (planes < 1 || planes > 4)
		return makeError(EPROTO, "eglExportDMABUFImageQueryMESA reported " + std::to_string(planes) + " planes");

	std::array<int, 4> rawFds = {-1, -1, -1, -1};
	std::array<EGLint, 4> strides{};
	std::array<EGLint, 4> offsets{};
	const EGLBoolean exported = exportFds(display, image, rawFds.data(), strides.data(), offsets.data());
	// Own every descriptor at once, whatever happens next. Planes of one buffer may come
	// back as one fd repeated: own each distinct one once.
	std::array<UniqueFd, 4> owned;
	for (int i = 0; i < 4; ++i) {
		bool seen = false;
		for (int j = 0; j < i; ++j)
			seen = seen || (rawFds[j] >= 0 && rawFds[j] == rawFds[i]);
		if (rawFds[i] >= 0 && !seen)
			owned[i] = UniqueFd(rawFds[i]);
	}
	if (!exported)
		return eglFailure("eglExportDMABUFImageMESA");

	ImportDesc desc;
	desc.width = width;
	desc.height = height;
	desc.format = uint32_t(fourcc);
	desc.modifier = modifiers[0];
	for (int i = 0; i < planes; ++i) {
		if (modifiers[i] != modifiers[0])
			return makeError(EPROTO, "eglExportDMABUFImageQueryMESA gave planes different modifiers");
		int fd = rawFds[i];
		// The extension lets later planes share the first plane's buffer with fd -1;
		// plane 0 must have a descriptor (Mesa answers EGL_TRUE with -1 for images of GL
		// textures it cannot export).
		if (fd < 0 && i > 0)
			fd = rawFds[0];
		if (fd < 0)
			return makeError(ENOTSUP, "eglExportDMABUFImageMESA returned EGL_TRUE but no descriptor for plane " +
							std::to_string(i) + " (fd -1): this image's memory cannot be exported");
		if (strides[i] <= 0 || offsets[i] < 0)
			return makeError(EPROTO, "eglExportDMABUFImageMESA gave plane " + std::to_string(i) + " stride " +
						       std::to_string(strides[i]) + ", offset " + std::to_string(offsets[i]));
		desc.planes.push_back({fd, uint64_t(offsets[i]), uint32_t(strides[i])});
	}
	// Buffer::import duplicates what it keeps; ours close when @owned goes.
	return Buffer::import(desc);
}

} // namespace hbm::egl
