// SPDX-License-Identifier: MIT
#include "plane_readback.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <thread>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <hbm/format.hpp>
#include <hbm/unique_fd.hpp>

namespace hbm::lab {
namespace {

struct PlaneResDeleter {
	void operator()(drmModePlaneRes *p) const { drmModeFreePlaneResources(p); }
};
struct PlaneDeleter {
	void operator()(drmModePlane *p) const { drmModeFreePlane(p); }
};
struct Fb2Deleter {
	void operator()(drmModeFB2 *p) const { drmModeFreeFB2(p); }
};

// A GEM handle GETFB2 made in our file's namespace: closed with the object.
struct GemHandle {
	int drm;
	uint32_t handle;
	~GemHandle()
	{
		if (handle)
			drmCloseBufferHandle(drm, handle);
	}
};

struct Mapping {
	void *data = MAP_FAILED;
	size_t size = 0;
	~Mapping()
	{
		if (data != MAP_FAILED)
			munmap(data, size);
	}
};

struct Best {
	uint64_t mismatches = UINT64_MAX;
	std::string where;
};

// Finds @width x @height of @expected in one framebuffer; returns mismatches of the best spot.
void searchFramebuffer(const uint8_t *base, uint32_t pitch, uint32_t fbWidth, uint32_t fbHeight, uint32_t width,
		       uint32_t height, const std::function<uint32_t(uint32_t, uint32_t)> &expected,
		       const std::string &label, Best &best)
{
	if (width > fbWidth || height > fbHeight)
		return;
	auto px = [&](uint32_t x, uint32_t y) {
		uint32_t v;
		memcpy(&v, base + size_t(y) * pitch + size_t(x) * 4, 4);
		return v & 0xffffffu;
	};
	const uint32_t first = expected(0, 0) & 0xffffffu;
	for (uint32_t y0 = 0; y0 + height <= fbHeight; ++y0) {
		for (uint32_t x0 = 0; x0 + width <= fbWidth; ++x0) {
			if (px(x0, y0) != first)
				continue;
			uint64_t bad = 0;
			for (uint32_t y = 0; y < height && bad < best.mismatches; ++y)
				for (uint32_t x = 0; x < width; ++x)
					bad += px(x0 + x, y0 + y) != (expected(x, y) & 0xffffffu);
			if (bad < best.mismatches) {
				best.mismatches = bad;
				best.where = label + " at (" + std::to_string(x0) + "," + std::to_string(y0) + ")";
				if (bad == 0)
					return;
			}
		}
	}
}

} // namespace

namespace {

bool isPrimary(int drm, uint32_t planeId)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(drm, planeId, DRM_MODE_OBJECT_PLANE);
	if (!props)
		return false;
	bool primary = false;
	for (uint32_t i = 0; i < props->count_props; ++i) {
		drmModePropertyRes *prop = drmModeGetProperty(drm, props->props[i]);
		if (prop && strcmp(prop->name, "type") == 0)
			primary = props->prop_values[i] == DRM_PLANE_TYPE_PRIMARY;
		drmModeFreeProperty(prop);
	}
	drmModeFreeObjectProperties(props);
	return primary;
}

} // namespace

std::string visitPlanes(int drm, const std::function<bool(const PlaneFramebuffer &)> &visit, std::string &seen)
{
	std::unique_ptr<drmModePlaneRes, PlaneResDeleter> res(drmModeGetPlaneResources(drm));
	if (!res)
		return std::string("GETPLANERESOURCES failed: ") + strerror(errno);
	seen.clear();
	for (uint32_t i = 0; i < res->count_planes; ++i) {
		std::unique_ptr<drmModePlane, PlaneDeleter> plane(drmModeGetPlane(drm, res->planes[i]));
		if (!plane || !plane->fb_id)
			continue;
		const std::string label = "plane " + std::to_string(plane->plane_id) + " fb " + std::to_string(plane->fb_id);
		std::unique_ptr<drmModeFB2, Fb2Deleter> fb(drmModeGetFB2(drm, plane->fb_id));
		if (!fb) {
			seen += label + ": GETFB2 failed (" + strerror(errno) + "); ";
			continue;
		}
		GemHandle handle{drm, fb->handles[0]};
		const bool linear = !(fb->flags & DRM_MODE_FB_MODIFIERS) || fb->modifier == DRM_FORMAT_MOD_LINEAR;
		seen += label + " " + std::to_string(fb->width) + "x" + std::to_string(fb->height) + " " +
			formatName(fb->pixel_format) + "; ";
		if (!handle.handle)
			return label + ": GETFB2 gave no GEM handle (needs root or DRM master)";
		if (!linear || (fb->pixel_format != DRM_FORMAT_XRGB8888 && fb->pixel_format != DRM_FORMAT_ARGB8888))
			continue;
		int prime = -1;
		if (drmPrimeHandleToFD(drm, handle.handle, O_RDONLY | O_CLOEXEC, &prime) != 0)
			return label + ": PRIME export failed: " + strerror(errno);
		UniqueFd dmabuf(prime);
		// Which dma-buf the plane scans out: the inode names it across processes, so a
		// client can tell its own buffer on a plane from a compositor's copy.
		struct stat st;
		const uint64_t inode = fstat(dmabuf.get(), &st) == 0 ? uint64_t(st.st_ino) : 0;
		Mapping map;
		map.size = size_t(fb->offsets[0]) + size_t(fb->pitches[0]) * fb->height;
		map.data = mmap(nullptr, map.size, PROT_READ, MAP_SHARED, dmabuf.get(), 0);
		if (map.data == MAP_FAILED)
			return label + ": mmap of its dma-buf failed: " + strerror(errno);
		dma_buf_sync sync{DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ};
		ioctl(dmabuf.get(), DMA_BUF_IOCTL_SYNC, &sync);
		const PlaneFramebuffer framebuffer{
			label + " dma-buf inode " + (inode ? std::to_string(inode) : "unknown"),
			plane->plane_id,
			isPrimary(drm, plane->plane_id),
			fb->width,
			fb->height,
			fb->pitches[0],
			inode,
			static_cast<const uint8_t *>(map.data) + fb->offsets[0],
		};
		const bool done = visit(framebuffer);
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
		ioctl(dmabuf.get(), DMA_BUF_IOCTL_SYNC, &sync);
		if (done)
			return {};
	}
	return {};
}

namespace {

/// @card opened with universal planes, or an error sentence in @error.
UniqueFd openCard(const std::string &card, std::string &error)
{
	UniqueFd drm(open(card.c_str(), O_RDWR | O_CLOEXEC));
	if (!drm)
		error = "cannot open " + card + ": " + strerror(errno);
	else if (drmSetClientCap(drm.get(), DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) != 0) {
		error = card + ": no universal planes: " + strerror(errno);
		drm.reset();
	}
	return drm;
}

} // namespace

PlaneSearch findOnPlanes(const std::string &card, uint32_t width, uint32_t height,
			 const std::function<uint32_t(uint32_t, uint32_t)> &expected, unsigned deadlineMs)
{
	std::string error;
	UniqueFd drm = openCard(card, error);
	if (!drm)
		return {false, error};
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadlineMs);
	std::string seen;
	Best best;
	for (;;) {
		best = {};
		error = visitPlanes(
			drm.get(),
			[&](const PlaneFramebuffer &fb) {
				searchFramebuffer(fb.pixels, fb.pitch, fb.width, fb.height, width, height, expected, fb.label,
						  best);
				return best.mismatches == 0;
			},
			seen);
		if (!error.empty())
			return {false, card + ": " + error};
		if (best.mismatches == 0)
			return {true, best.where + ": all " + std::to_string(uint64_t(width) * height) +
					      " pixels match (planes: " + seen + ")"};
		if (std::chrono::steady_clock::now() >= deadline)
			break;
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
	if (best.mismatches == UINT64_MAX)
		return {false, "no plane shows the image's first pixel (planes: " + seen + ")"};
	return {false, "best spot " + best.where + " has " + std::to_string(best.mismatches) + " of " +
			       std::to_string(uint64_t(width) * height) + " pixels wrong (planes: " + seen + ")"};
}

PlaneCapture capturePrimaryPlane(const std::string &card)
{
	PlaneCapture capture;
	std::string error, seen;
	UniqueFd drm = openCard(card, error);
	if (!drm) {
		capture.description = error;
		return capture;
	}
	error = visitPlanes(
		drm.get(),
		[&](const PlaneFramebuffer &fb) {
			if (!fb.primary)
				return false;
			capture.width = fb.width;
			capture.height = fb.height;
			capture.inode = fb.inode;
			capture.pixels.resize(size_t(fb.width) * fb.height);
			for (uint32_t y = 0; y < fb.height; ++y)
				memcpy(&capture.pixels[size_t(y) * fb.width], fb.pixels + size_t(y) * fb.pitch,
				       size_t(fb.width) * 4);
			capture.description = fb.label;
			capture.ok = true;
			return true;
		},
		seen);
	if (!error.empty())
		capture.description = card + ": " + error;
	else if (!capture.ok)
		capture.description = card + ": no primary plane with a linear XRGB/ARGB8888 framebuffer (planes: " + seen + ")";
	return capture;
}

} // namespace hbm::lab
