// SPDX-License-Identifier: MIT
#include <hbm/kms.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <vector>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>
#include <hbm/format.hpp>
#include <hbm/unique_fd.hpp>

#include "error.hpp"
#include "kms_device_private.hpp"
#include "log.hpp"
#include "string_format.hpp"

namespace hbm {

namespace {

LogCategory logKms("kms");

std::string connectorName(const drmModeConnector &c)
{
	const char *type = drmModeGetConnectorTypeName(c.connector_type);
	return stringf("%s-%u", type ? type : "Unknown", c.connector_type_id);
}

/// Adds object.name = value to @req, or says which property the driver lacks.
Result<void> addProperty(drmModeAtomicReq *req, const drm::PropertyMap &props, uint32_t object,
			 const char *what, const char *name, uint64_t value)
{
	auto it = props.find(name);
	if (it == props.end())
		return makeError(ENOTSUP, "%s %u has no '%s' property", what, object, name);
	if (drmModeAtomicAddProperty(req, object, it->second.id, value) < 0)
		return makeError(ENOMEM, "cannot add %s to an atomic request", name);
	return {};
}

} // namespace

KmsDevice::Private::~Private()
{
	if (modeBlob)
		drmModeDestroyPropertyBlob(fd.get(), modeBlob);
}

Result<void> KmsDevice::Private::commit(drmModeAtomicReq *req, uint32_t flags, const char *what)
{
	if (drmModeAtomicCommit(fd.get(), req, flags, nullptr) == 0)
		return {};
	int err = errno;
	const char *hint = err == EACCES ? " (not DRM master: is a compositor running on " : "";
	return makeError(err, "%s: atomic commit on %s failed%s%s%s", what, path.c_str(), hint,
			 *hint ? path.c_str() : "", *hint ? "?)" : "");
}

Result<std::shared_ptr<KmsDevice>> KmsDevice::Private::make(UniqueFd fd, const std::string &path, Master master)
{
	drm::Version version(drmGetVersion(fd.get()));
	if (!version)
		return makeError(errno == 0 ? ENOTTY : errno, "%s is not a DRM device", path.c_str());

	// The first opener of a primary node becomes DRM master. A display server holds it (or
	// logind hands it over), and hbm needs none for what it does itself: let go at once,
	// unless the caller owns the display and asked for it.
	const bool isMaster = drmIsMaster(fd.get());
	if (master == Master::Drop && isMaster && drmDropMaster(fd.get()) != 0)
		return makeError(errno, "cannot drop the DRM master this open of %s took", path.c_str());
	if (master == Master::Take && !isMaster && drmSetMaster(fd.get()) != 0)
		return makeError(errno, "cannot become DRM master of %s (is a compositor running on it?)",
				 path.c_str());

	if (drmSetClientCap(fd.get(), DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) ||
	    drmSetClientCap(fd.get(), DRM_CLIENT_CAP_ATOMIC, 1))
		return makeError(EOPNOTSUPP, "%s (%s) does not support atomic modesetting", path.c_str(),
				 version->name);
	// Writeback connectors are optional: only vkms and a few display drivers have one.
	if (drmSetClientCap(fd.get(), DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1))
		HBM_LOG(logKms, Debug, "%s: no writeback connectors", path.c_str());

	auto d = std::make_unique<Private>();
	d->gem = std::make_unique<GemHandleTable>(fd.get());
	d->fd = std::move(fd);
	d->path = path;
	d->driver = version->name;
	HBM_LOG(logKms, Info, "opened %s (%s)", path.c_str(), d->driver.c_str());
	return std::shared_ptr<KmsDevice>(new KmsDevice(std::move(d)));
}

Result<std::shared_ptr<KmsDevice>> KmsDevice::open(const std::string &path, const KmsOpenOptions &options)
{
	UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
	if (!fd)
		return makeError(errno, "cannot open DRM device %s", path.c_str());
	return Private::make(std::move(fd), path, options.master ? Private::Master::Take : Private::Master::Drop);
}

Result<std::shared_ptr<KmsDevice>> KmsDevice::openByDriver(const std::string &driver, const KmsOpenOptions &options)
{
	const std::string dir = "/dev/dri";
	std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(dir.c_str()), ::closedir);
	if (!d)
		return makeError(errno == ENOENT ? ENODEV : errno,
				 "no DRM device with driver '%s': cannot list %s", driver.c_str(), dir.c_str());

	std::vector<std::string> cards;
	while (struct dirent *entry = ::readdir(d.get()))
		if (std::string_view(entry->d_name).starts_with("card"))
			cards.push_back(dir + "/" + entry->d_name);
	std::sort(cards.begin(), cards.end());

	std::string seen;
	for (const std::string &card : cards) {
		UniqueFd fd(::open(card.c_str(), O_RDWR | O_CLOEXEC));
		if (!fd) {
			seen += stringf("%s%s (cannot open: %s)", seen.empty() ? "" : ", ", card.c_str(),
					strerror(errno));
			continue;
		}
		drm::Version version(drmGetVersion(fd.get()));
		std::string name = version ? version->name : "?";
		seen += (seen.empty() ? "" : ", ") + card + " (" + name + ")";
		if (name == driver) {
			fd.reset();
			return open(card, options);
		}
	}
	return makeError(ENODEV, "no DRM device with driver '%s' (found: %s)", driver.c_str(),
			 seen.empty() ? "no /dev/dri/card*" : seen.c_str());
}

KmsDevice::KmsDevice(std::unique_ptr<Private> d) : d_(std::move(d)) {}

KmsDevice::~KmsDevice() = default;

int KmsDevice::fd() const
{
	return d_->fd.get();
}

const std::string &KmsDevice::path() const
{
	return d_->path;
}

const std::string &KmsDevice::driverName() const
{
	return d_->driver;
}

size_t KmsDevice::gemHandleCount() const
{
	return d_->gem->size();
}

Result<Framebuffer> KmsDevice::addFramebuffer(const Buffer &buffer)
{
	// A described buffer gets its storage at its first device import.
	if (auto ok = buffer.allocateStorage(); !ok)
		return withContext(ok.error(), d_->path);
	const Layout &layout = buffer.layout();
	if (layout.planes.empty() || layout.planes.size() > 4)
		return makeError(EINVAL, "buffer has %zu planes; a framebuffer takes 1 to 4",
				 layout.planes.size());
	if (!buffer.deviceImportable())
		return makeError(EINVAL, "a %s buffer is CPU-only memory: %s cannot scan it out",
				 buffer.origin().c_str(), d_->path.c_str());
	const DriverQuirkEntry *offsetsTwice = findDriverQuirk(d_->driver, DriverQuirk::ReadsOffsetsTwice);
	if (offsetsTwice && layout.planes[0].offset != 0)
		return makeError(EINVAL, "%s (%s) %s and would show the wrong memory: this %s buffer starts %llu bytes into its dma-buf (negotiate with the plane's participant to get one at offset 0)",
				 d_->path.c_str(), d_->driver.c_str(), offsetsTwice->reason, buffer.origin().c_str(),
				 (unsigned long long)layout.planes[0].offset);

	uint32_t handles[4] = {}, pitches[4] = {}, offsets[4] = {};
	uint64_t modifiers[4] = {};
	std::vector<uint32_t> held; // one reference per distinct dma-buf
	auto releaseHeld = [&] {
		for (uint32_t h : held)
			d_->gem->release(h);
	};
	for (size_t i = 0; i < layout.planes.size(); ++i) {
		if (layout.planes[i].offset > UINT32_MAX) {
			releaseHeld();
			return makeError(EINVAL, "plane %zu offset %llu does not fit ADDFB2's 32 bits", i,
					 static_cast<unsigned long long>(layout.planes[i].offset));
		}
		const SharedFd &fd = buffer.planeFd(i);
		bool seen = false;
		for (size_t j = 0; j < i; ++j)
			if (buffer.planeFd(j) == fd) {
				handles[i] = handles[j];
				seen = true;
			}
		if (!seen) {
			auto handle = d_->gem->acquire(fd.get());
			if (!handle) {
				releaseHeld();
				return withContext(handle.error(), stringf("%s, plane %zu", d_->path.c_str(), i));
			}
			handles[i] = *handle;
			held.push_back(*handle);
		}
		pitches[i] = layout.planes[i].stride;
		offsets[i] = static_cast<uint32_t>(layout.planes[i].offset);
		modifiers[i] = layout.modifier;
	}
	uint32_t flags = layout.modifier != DRM_FORMAT_MOD_INVALID ? DRM_MODE_FB_MODIFIERS : 0;
	uint32_t id = 0;
	if (drmModeAddFB2WithModifiers(d_->fd.get(), layout.width, layout.height, layout.format,
				       handles, pitches, offsets, modifiers, &id, flags)) {
		int err = errno;
		releaseHeld();
		return makeError(err, "%s (%s) refused a %ux%u %s framebuffer with modifier %s, stride %u",
				 d_->path.c_str(), d_->driver.c_str(), layout.width, layout.height,
				 formatName(layout.format).c_str(), modifierName(layout.modifier).c_str(),
				 pitches[0]);
	}
	HBM_LOG(logKms, Debug, "framebuffer %u: %ux%u %s, %zu planes", id, layout.width, layout.height,
		formatName(layout.format).c_str(), layout.planes.size());
	return Framebuffer(shared_from_this(), id, std::move(held), layout.width, layout.height, layout.format);
}

Result<void> KmsDevice::showOnPrimary(const Framebuffer &fb)
{
	int fd = d_->fd.get();
	drm::Resources res(drmModeGetResources(fd));
	if (!res)
		return makeError(errno, "cannot read KMS resources of %s", d_->path.c_str());

	// The first connected display connector (writeback connectors are not displays).
	drm::Connector connector;
	for (int i = 0; i < res->count_connectors && !connector; ++i) {
		drm::Connector c(drmModeGetConnector(fd, res->connectors[i]));
		if (c && c->connection == DRM_MODE_CONNECTED &&
		    c->connector_type != DRM_MODE_CONNECTOR_WRITEBACK)
			connector = std::move(c);
	}
	if (!connector)
		return makeError(ENODEV, "%s has no connected display connector", d_->path.c_str());
	std::string cname = connectorName(*connector);

	const drmModeModeInfo *mode = nullptr;
	std::string sizes;
	for (int i = 0; i < connector->count_modes; ++i) {
		const drmModeModeInfo &m = connector->modes[i];
		if (m.hdisplay == fb.width() && m.vdisplay == fb.height() &&
		    (!mode || (m.type & DRM_MODE_TYPE_PREFERRED)))
			mode = &m;
		if (i < 8)
			sizes += stringf("%s%ux%u", i ? ", " : "", m.hdisplay, m.vdisplay);
	}
	if (!mode)
		return makeError(EINVAL, "%s has no %ux%u mode (it offers %s…)", cname.c_str(), fb.width(),
				 fb.height(), sizes.c_str());

	// A CRTC the connector's encoders can drive.
	uint32_t possibleCrtcs = 0;
	for (int i = 0; i < connector->count_encoders; ++i) {
		drm::Encoder enc(drmModeGetEncoder(fd, connector->encoders[i]));
		if (enc)
			possibleCrtcs |= enc->possible_crtcs;
	}
	int crtcIndex = -1;
	for (int i = 0; i < res->count_crtcs && crtcIndex < 0; ++i)
		if (possibleCrtcs & (1u << i))
			crtcIndex = i;
	if (crtcIndex < 0)
		return makeError(ENODEV, "no CRTC can drive %s", cname.c_str());
	uint32_t crtc = res->crtcs[crtcIndex];

	// That CRTC's primary plane.
	drm::PlaneResources planes(drmModeGetPlaneResources(fd));
	uint32_t primary = 0;
	for (uint32_t i = 0; planes && i < planes->count_planes && !primary; ++i) {
		drm::Plane plane(drmModeGetPlane(fd, planes->planes[i]));
		if (!plane || !(plane->possible_crtcs & (1u << crtcIndex)))
			continue;
		auto props = drm::objectProperties(fd, plane->plane_id, DRM_MODE_OBJECT_PLANE);
		auto type = props.find("type");
		if (type != props.end() && type->second.value == DRM_PLANE_TYPE_PRIMARY)
			primary = plane->plane_id;
	}
	if (!primary)
		return makeError(ENODEV, "CRTC %u of %s has no primary plane", crtc, d_->path.c_str());

	uint32_t blob = 0;
	if (drmModeCreatePropertyBlob(fd, mode, sizeof(*mode), &blob))
		return makeError(errno, "cannot create a mode blob on %s", d_->path.c_str());

	drm::AtomicReq req(drmModeAtomicAlloc());
	if (!req) {
		drmModeDestroyPropertyBlob(fd, blob);
		return makeError(ENOMEM, "cannot allocate an atomic request");
	}
	auto connProps = drm::objectProperties(fd, connector->connector_id, DRM_MODE_OBJECT_CONNECTOR);
	auto crtcProps = drm::objectProperties(fd, crtc, DRM_MODE_OBJECT_CRTC);
	auto planeProps = drm::objectProperties(fd, primary, DRM_MODE_OBJECT_PLANE);
	const uint32_t w = fb.width(), h = fb.height();
	for (auto r : {
		     addProperty(req.get(), connProps, connector->connector_id, "connector", "CRTC_ID", crtc),
		     addProperty(req.get(), crtcProps, crtc, "CRTC", "MODE_ID", blob),
		     addProperty(req.get(), crtcProps, crtc, "CRTC", "ACTIVE", 1),
		     addProperty(req.get(), planeProps, primary, "plane", "FB_ID", fb.id()),
		     addProperty(req.get(), planeProps, primary, "plane", "CRTC_ID", crtc),
		     addProperty(req.get(), planeProps, primary, "plane", "SRC_X", 0),
		     addProperty(req.get(), planeProps, primary, "plane", "SRC_Y", 0),
		     addProperty(req.get(), planeProps, primary, "plane", "SRC_W", uint64_t(w) << 16),
		     addProperty(req.get(), planeProps, primary, "plane", "SRC_H", uint64_t(h) << 16),
		     addProperty(req.get(), planeProps, primary, "plane", "CRTC_X", 0),
		     addProperty(req.get(), planeProps, primary, "plane", "CRTC_Y", 0),
		     addProperty(req.get(), planeProps, primary, "plane", "CRTC_W", w),
		     addProperty(req.get(), planeProps, primary, "plane", "CRTC_H", h),
	     }) {
		if (!r) {
			drmModeDestroyPropertyBlob(fd, blob);
			return withContext(r.error(), d_->path);
		}
	}
	auto committed = d_->commit(req.get(), DRM_MODE_ATOMIC_ALLOW_MODESET,
				    stringf("showing framebuffer %u on %s", fb.id(), cname.c_str()).c_str());
	if (!committed) {
		drmModeDestroyPropertyBlob(fd, blob);
		return committed;
	}
	if (d_->modeBlob)
		drmModeDestroyPropertyBlob(fd, d_->modeBlob);
	d_->modeBlob = blob;
	d_->crtc = crtc;
	d_->connector = connector->connector_id;
	HBM_LOG(logKms, Info, "%s: framebuffer %u on plane %u, CRTC %u, %s %ux%u", d_->path.c_str(),
		fb.id(), primary, crtc, cname.c_str(), w, h);
	return {};
}

namespace {

struct WritebackConnector {
	uint32_t id = 0;
	uint32_t encoderMask = 0; ///< drm_encoder_mask() of its encoder
	drm::PropertyMap props;
};

/// Bit of @encoder in the device's encoder list, as possible_clones counts them.
uint32_t encoderMask(const drmModeRes &res, uint32_t encoder)
{
	for (int i = 0; i < res.count_encoders; ++i)
		if (res.encoders[i] == encoder)
			return 1u << i;
	return 0;
}

/// The writeback connector of @fd, if any.
WritebackConnector findWritebackConnector(int fd)
{
	WritebackConnector wb;
	drm::Resources res(drmModeGetResources(fd));
	for (int i = 0; res && i < res->count_connectors; ++i) {
		drm::Connector c(drmModeGetConnector(fd, res->connectors[i]));
		if (!c || c->connector_type != DRM_MODE_CONNECTOR_WRITEBACK)
			continue;
		wb.id = c->connector_id;
		wb.props = drm::objectProperties(fd, c->connector_id, DRM_MODE_OBJECT_CONNECTOR);
		for (int e = 0; e < c->count_encoders; ++e)
			wb.encoderMask |= encoderMask(*res, c->encoders[e]);
		break;
	}
	return wb;
}

/// Whether the encoders of @connector may clone onto the writeback encoder.
bool canCloneWithWriteback(int fd, uint32_t connector, uint32_t writebackMask)
{
	drm::Connector c(drmModeGetConnector(fd, connector));
	for (int e = 0; c && e < c->count_encoders; ++e) {
		drm::Encoder enc(drmModeGetEncoder(fd, c->encoders[e]));
		if (enc && (enc->possible_clones & writebackMask))
			return true;
	}
	return false;
}

} // namespace

FormatSet KmsDevice::writebackFormats() const
{
	FormatSet formats;
	WritebackConnector wb = findWritebackConnector(d_->fd.get());
	auto it = wb.props.find("WRITEBACK_PIXEL_FORMATS");
	if (!wb.id || it == wb.props.end())
		return formats;
	drm::PropertyBlob blob(drmModeGetPropertyBlob(d_->fd.get(), static_cast<uint32_t>(it->second.value)));
	if (!blob)
		return formats;
	const auto *fourccs = static_cast<const uint32_t *>(blob->data);
	for (size_t i = 0; i < blob->length / sizeof(uint32_t); ++i)
		formats.add(fourccs[i], DRM_FORMAT_MOD_LINEAR);
	return formats;
}

Result<void> KmsDevice::captureWriteback(const Framebuffer &target, int timeoutMs)
{
	int fd = d_->fd.get();
	if (!d_->crtc)
		return makeError(EINVAL, "nothing to capture on %s: no CRTC lit by showOnPrimary()",
				 d_->path.c_str());
	WritebackConnector wb = findWritebackConnector(fd);
	if (!wb.id)
		return makeError(ENODEV, "%s (%s) has no writeback connector (vkms needs enable_writeback=1)",
				 d_->path.c_str(), d_->driver.c_str());
	FormatSet formats = writebackFormats();
	if (!formats.containsFormat(target.format()))
		return makeError(EINVAL, "the writeback connector of %s cannot write %s (it writes %s)",
				 d_->path.c_str(), formatName(target.format()).c_str(),
				 formats.toString().c_str());

	// The display and writeback connectors share the CRTC only if their encoders may
	// clone. vkms leaves possible_clones unset, so the core lets each encoder clone only
	// itself and refuses both at once (drm_atomic_check_valid_clones, 6.12.y). Then the
	// writeback connector takes the CRTC alone for the capture — the CRTC composes the
	// same planes either way — and the display is routed back afterwards.
	const bool clone = canCloneWithWriteback(fd, d_->connector, wb.encoderMask);
	auto displayProps = drm::objectProperties(fd, d_->connector, DRM_MODE_OBJECT_CONNECTOR);
	if (!clone)
		HBM_LOG(logKms, Info, "%s: display and writeback encoders cannot clone; capturing with the writeback connector alone",
			d_->path.c_str());

	int32_t fenceFd = -1;
	drm::AtomicReq req(drmModeAtomicAlloc());
	if (!req)
		return makeError(ENOMEM, "cannot allocate an atomic request");
	for (auto r : {
		     addProperty(req.get(), wb.props, wb.id, "writeback connector", "CRTC_ID", d_->crtc),
		     addProperty(req.get(), wb.props, wb.id, "writeback connector", "WRITEBACK_FB_ID", target.id()),
		     addProperty(req.get(), wb.props, wb.id, "writeback connector", "WRITEBACK_OUT_FENCE_PTR",
				 reinterpret_cast<uintptr_t>(&fenceFd)),
		     clone ? Result<void>() : addProperty(req.get(), displayProps, d_->connector, "connector", "CRTC_ID", 0),
	     }) {
		if (!r)
			return withContext(r.error(), d_->path);
	}
	auto committed = d_->commit(req.get(), DRM_MODE_ATOMIC_ALLOW_MODESET,
				    stringf("writeback into framebuffer %u", target.id()).c_str());
	if (!committed)
		return committed;

	// The out-fence signals when the writeback job has written the framebuffer.
	UniqueFd fence(fenceFd);
	Result<void> result;
	if (!fence) {
		result = makeError(EIO, "%s returned no writeback out-fence", d_->path.c_str());
	} else {
		struct pollfd pfd = {fence.get(), POLLIN, 0};
		int ret;
		do {
			ret = ::poll(&pfd, 1, timeoutMs);
		} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
		if (ret < 0)
			result = makeError(errno, "waiting for the writeback fence of %s", d_->path.c_str());
		else if (ret == 0)
			result = makeError(ETIMEDOUT, "writeback on %s did not finish within %d ms",
					   d_->path.c_str(), timeoutMs);
	}

	// Leave the routing as showOnPrimary() made it: writeback off, display back on.
	drm::AtomicReq restore(drmModeAtomicAlloc());
	if (!restore)
		return makeError(ENOMEM, "cannot allocate an atomic request");
	for (auto r : {
		     addProperty(restore.get(), wb.props, wb.id, "writeback connector", "CRTC_ID", 0),
		     clone ? Result<void>() : addProperty(restore.get(), displayProps, d_->connector, "connector", "CRTC_ID", d_->crtc),
	     }) {
		if (!r)
			return withContext(r.error(), d_->path);
	}
	auto restored = d_->commit(restore.get(), DRM_MODE_ATOMIC_ALLOW_MODESET, "restoring the display after writeback");
	if (!result)
		return result;
	if (!restored)
		return restored;
	HBM_LOG(logKms, Debug, "writeback into framebuffer %u done", target.id());
	return {};
}

Framebuffer::Framebuffer(std::shared_ptr<KmsDevice> device, uint32_t id, std::vector<uint32_t> handles,
			 uint32_t width, uint32_t height, uint32_t format)
	: device_(std::move(device)), id_(id), handles_(std::move(handles)), width_(width), height_(height),
	  format_(format)
{
}

Framebuffer::Framebuffer(Framebuffer &&other) noexcept
	: device_(std::move(other.device_)), id_(std::exchange(other.id_, 0)),
	  handles_(std::move(other.handles_)), width_(other.width_), height_(other.height_),
	  format_(other.format_)
{
	other.handles_.clear();
}

Framebuffer &Framebuffer::operator=(Framebuffer &&other) noexcept
{
	if (this != &other) {
		release();
		device_ = std::move(other.device_);
		id_ = std::exchange(other.id_, 0);
		handles_ = std::move(other.handles_);
		other.handles_.clear();
		width_ = other.width_;
		height_ = other.height_;
		format_ = other.format_;
	}
	return *this;
}

Framebuffer::~Framebuffer()
{
	release();
}

void Framebuffer::release()
{
	if (!device_)
		return;
	if (id_ && drmModeRmFB(device_->fd(), id_))
		HBM_LOG(logKms, Error, "removing framebuffer %u failed: %s", id_, strerror(errno));
	for (uint32_t handle : handles_)
		device_->d_->gem->release(handle);
	id_ = 0;
	handles_.clear();
	device_.reset();
}

} // namespace hbm
