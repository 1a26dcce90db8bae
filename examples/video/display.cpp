// SPDX-License-Identifier: MIT
#include "display.hpp"

#include <cerrno>
#include <string>

#include <xf86drm.h>
#include <xf86drmMode.h>

using hbm::Error;
using hbm::Result;

namespace video {

namespace {

/// libdrm's objects, freed by their own functions.
template<auto Free>
struct Freer {
	template<typename T>
	void operator()(T *object) const { Free(object); }
};
using Resources = std::unique_ptr<drmModeRes, Freer<drmModeFreeResources>>;
using Connector = std::unique_ptr<drmModeConnector, Freer<drmModeFreeConnector>>;
using Encoder = std::unique_ptr<drmModeEncoder, Freer<drmModeFreeEncoder>>;
using PlaneResources = std::unique_ptr<drmModePlaneRes, Freer<drmModeFreePlaneResources>>;
using Plane = std::unique_ptr<drmModePlane, Freer<drmModeFreePlane>>;
using Properties = std::unique_ptr<drmModeObjectProperties, Freer<drmModeFreeObjectProperties>>;
using Property = std::unique_ptr<drmModePropertyRes, Freer<drmModeFreeProperty>>;
using AtomicReq = std::unique_ptr<drmModeAtomicReq, Freer<drmModeAtomicFree>>;

struct PropertyValue {
	uint32_t id = 0; ///< 0: the object has no such property
	uint64_t value = 0;
};

/// Property @name of KMS object @object (of DRM_MODE_OBJECT_* @type): atomic commits set
/// properties by id, which each driver numbers its own way.
PropertyValue property(int fd, uint32_t object, uint32_t type, const std::string &name)
{
	Properties props(drmModeObjectGetProperties(fd, object, type));
	for (uint32_t i = 0; props && i < props->count_props; ++i) {
		Property p(drmModeGetProperty(fd, props->props[i]));
		if (p && name == p->name)
			return {p->prop_id, props->prop_values[i]};
	}
	return {};
}

/// Adds @object.@name = @value to @req, or says which property the driver lacks.
Result<void> add(drmModeAtomicReq *req, int fd, uint32_t object, uint32_t type, const std::string &name,
		 uint64_t value)
{
	const uint32_t id = property(fd, object, type, name).id;
	if (!id)
		return Error{ENOTSUP, "KMS object " + std::to_string(object) + " has no '" + name + "' property"};
	if (drmModeAtomicAddProperty(req, object, id, value) < 0)
		return Error{ENOMEM, "cannot add " + name + " to an atomic request"};
	return {};
}

std::string connectorName(const drmModeConnector &c)
{
	const char *type = drmModeGetConnectorTypeName(c.connector_type);
	return std::string(type ? type : "Unknown") + "-" + std::to_string(c.connector_type_id);
}

std::string size(uint32_t width, uint32_t height)
{
	return std::to_string(width) + "x" + std::to_string(height);
}

} // namespace

Result<std::unique_ptr<Display>> Display::open(const std::string &driver)
{
	auto device = hbm::KmsDevice::openByDriver(driver, {.master = true});
	if (!device)
		return device.error();
	if (drmSetClientCap((*device)->fd(), DRM_CLIENT_CAP_ATOMIC, 1))
		return Error{EOPNOTSUPP, (*device)->path() + " (" + driver + ") does not support atomic modesetting"};
	return std::unique_ptr<Display>(new Display(std::move(*device)));
}

Display::~Display()
{
	if (modeBlob_)
		drmModeDestroyPropertyBlob(device_->fd(), modeBlob_);
}

Result<void> Display::show(const hbm::Framebuffer &fb)
{
	const int fd = device_->fd();
	const std::string &path = device_->path();
	Resources res(drmModeGetResources(fd));
	if (!res)
		return Error{errno, "cannot read the KMS resources of " + path};

	// The first connected display connector (a writeback connector, listed to clients that
	// asked for them, is not a display).
	Connector connector;
	for (int i = 0; i < res->count_connectors && !connector; ++i) {
		Connector c(drmModeGetConnector(fd, res->connectors[i]));
		if (c && c->connection == DRM_MODE_CONNECTED && c->connector_type != DRM_MODE_CONNECTOR_WRITEBACK)
			connector = std::move(c);
	}
	if (!connector)
		return Error{ENODEV, path + " has no connected display connector"};
	const std::string name = connectorName(*connector);

	const drmModeModeInfo *mode = nullptr;
	std::string sizes;
	for (int i = 0; i < connector->count_modes; ++i) {
		const drmModeModeInfo &m = connector->modes[i];
		if (m.hdisplay == fb.width() && m.vdisplay == fb.height() && (!mode || (m.type & DRM_MODE_TYPE_PREFERRED)))
			mode = &m;
		if (i < 8)
			sizes += (i ? ", " : "") + size(m.hdisplay, m.vdisplay);
	}
	if (!mode)
		return Error{EINVAL, name + " has no " + size(fb.width(), fb.height()) + " mode (it offers " + sizes + "…)"};

	// A CRTC the connector's encoders can drive, and that CRTC's primary plane.
	uint32_t possibleCrtcs = 0;
	for (int i = 0; i < connector->count_encoders; ++i)
		if (Encoder enc(drmModeGetEncoder(fd, connector->encoders[i])); enc)
			possibleCrtcs |= enc->possible_crtcs;
	int crtcIndex = -1;
	for (int i = 0; i < res->count_crtcs && crtcIndex < 0; ++i)
		if (possibleCrtcs & (1u << i))
			crtcIndex = i;
	if (crtcIndex < 0)
		return Error{ENODEV, "no CRTC of " + path + " can drive " + name};
	const uint32_t crtc = res->crtcs[crtcIndex];
	PlaneResources planes(drmModeGetPlaneResources(fd));
	uint32_t primary = 0;
	for (uint32_t i = 0; planes && i < planes->count_planes && !primary; ++i) {
		Plane plane(drmModeGetPlane(fd, planes->planes[i]));
		if (plane && (plane->possible_crtcs & (1u << crtcIndex)) &&
		    property(fd, plane->plane_id, DRM_MODE_OBJECT_PLANE, "type").value == DRM_PLANE_TYPE_PRIMARY)
			primary = plane->plane_id;
	}
	if (!primary)
		return Error{ENODEV, "CRTC " + std::to_string(crtc) + " of " + path + " has no primary plane"};

	uint32_t blob = 0;
	if (drmModeCreatePropertyBlob(fd, mode, sizeof(*mode), &blob))
		return Error{errno, "cannot create a mode blob on " + path};
	auto dropBlob = [&](Result<void> r) {
		drmModeDestroyPropertyBlob(fd, blob);
		return r;
	};
	AtomicReq req(drmModeAtomicAlloc());
	if (!req)
		return dropBlob(Error{ENOMEM, "cannot allocate an atomic request"});
	const uint32_t w = fb.width(), h = fb.height();
	const uint32_t conn = connector->connector_id;
	for (auto r : {
		     add(req.get(), fd, conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", crtc),
		     add(req.get(), fd, crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", blob),
		     add(req.get(), fd, crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1),
		     add(req.get(), fd, primary, DRM_MODE_OBJECT_PLANE, "FB_ID", fb.id()),
		     add(req.get(), fd, primary, DRM_MODE_OBJECT_PLANE, "CRTC_ID", crtc),
		     add(req.get(), fd, primary, DRM_MODE_OBJECT_PLANE, "SRC_X", 0),
		     add(req.get(), fd, primary, DRM_MODE_OBJECT_PLANE, "SRC_Y", 0),
		     add(req.get(), fd, primary, DRM_MODE_OBJECT_PLANE, "SRC_W", uint64_t(w) << 16), // 16.16 fixed point
		     add(req.get(), fd, primary, DRM_MODE_OBJECT_PLANE, "SRC_H", uint64_t(h) << 16),
		     add(req.get(), fd, primary, DRM_MODE_OBJECT_PLANE, "CRTC_X", 0),
		     add(req.get(), fd, primary, DRM_MODE_OBJECT_PLANE, "CRTC_Y", 0),
		     add(req.get(), fd, primary, DRM_MODE_OBJECT_PLANE, "CRTC_W", w),
		     add(req.get(), fd, primary, DRM_MODE_OBJECT_PLANE, "CRTC_H", h),
	     })
		if (!r)
			return dropBlob(Error{r.error().code, path + ": " + r.error().message});
	if (drmModeAtomicCommit(fd, req.get(), DRM_MODE_ATOMIC_ALLOW_MODESET, nullptr))
		return dropBlob(Error{errno, "showing framebuffer " + std::to_string(fb.id()) + " on " + name +
						     ": atomic commit on " + path + " failed"});
	if (modeBlob_)
		drmModeDestroyPropertyBlob(fd, modeBlob_);
	modeBlob_ = blob;
	crtc_ = crtc;
	connector_ = conn;
	primary_ = primary;
	primaryFbId_ = property(fd, primary, DRM_MODE_OBJECT_PLANE, "FB_ID").id;
	width_ = w;
	height_ = h;
	return {};
}

Result<void> Display::flip(const hbm::Framebuffer &fb)
{
	if (!primary_ || fb.width() != width_ || fb.height() != height_)
		return show(fb);
	AtomicReq req(drmModeAtomicAlloc());
	if (!req || drmModeAtomicAddProperty(req.get(), primary_, primaryFbId_, fb.id()) < 0)
		return Error{ENOMEM, "cannot make an atomic request"};
	// Blocking, so that the previous framebuffer is off the screen when this returns.
	if (drmModeAtomicCommit(device_->fd(), req.get(), 0, nullptr))
		return Error{errno, "flipping to framebuffer " + std::to_string(fb.id()) + ": atomic commit on " +
					    device_->path() + " failed"};
	return {};
}

} // namespace video
