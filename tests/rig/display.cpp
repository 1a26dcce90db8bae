// SPDX-License-Identifier: MIT
// The display as tests drive it: the player's modesetting (examples/video/display.cpp)
// and writeback capture.
#include <hbm-test/display.hpp>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>

#include <drm_fourcc.h>

#include <hbm/format.hpp>
#include <hbm/unique_fd.hpp>

#include "base/device_nodes.hpp"
#include "base/error.hpp"
#include "base/drm_objects.hpp"
#include "kms/kms_device_private.hpp"
#include "base/log.hpp"
#include "base/string_format.hpp"

namespace hbm::test {

namespace {

LogCategory logDisplay("display");

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

/// One blocking atomic commit that may modeset; @what says what it was for.
Result<void> commit(const KmsDevice &device, drmModeAtomicReq *req, const std::string &what)
{
	if (drmModeAtomicCommit(device.fd(), req, DRM_MODE_ATOMIC_ALLOW_MODESET, nullptr) == 0)
		return {};
	return makeError(errno, "%s: atomic commit on %s failed", what.c_str(), device.path().c_str());
}

} // namespace

Result<std::unique_ptr<Display>> Display::openByDriver(const std::string &driver)
{
	auto output = video::Display::open(driver);
	if (!output)
		return output.error();
	// Writeback connectors are optional: only vkms and a few display drivers have one.
	if (drmSetClientCap((*output)->device().fd(), DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1))
		HBM_LOG(logDisplay, Debug, "%s: no writeback connectors", (*output)->device().path().c_str());
	return std::unique_ptr<Display>(new Display(std::move(*output)));
}

Result<void> Display::showOnPrimary(const Framebuffer &fb)
{
	if (auto shown = output_->show(fb); !shown)
		return shown;
	HBM_LOG(logDisplay, Info, "%s: framebuffer %u on plane %u, CRTC %u, connector %u, %ux%u",
		device().path().c_str(), fb.id(), output_->primaryPlane(), output_->crtc(), output_->connector(),
		fb.width(), fb.height());
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

FormatSet Display::writebackFormats() const
{
	FormatSet formats;
	WritebackConnector wb = findWritebackConnector(device().fd());
	auto it = wb.props.find("WRITEBACK_PIXEL_FORMATS");
	if (!wb.id || it == wb.props.end())
		return formats;
	drm::PropertyBlob blob(drmModeGetPropertyBlob(device().fd(), static_cast<uint32_t>(it->second.value)));
	if (!blob)
		return formats;
	const auto *fourccs = static_cast<const uint32_t *>(blob->data);
	for (size_t i = 0; i < blob->length / sizeof(uint32_t); ++i)
		formats.add(fourccs[i], DRM_FORMAT_MOD_LINEAR);
	return formats;
}

Result<void> Display::captureWriteback(const Framebuffer &target, int timeoutMs)
{
	int fd = device().fd();
	if (!output_->crtc())
		return makeError(EINVAL, "nothing to capture on %s: no CRTC lit by showOnPrimary()",
				 device().path().c_str());
	WritebackConnector wb = findWritebackConnector(fd);
	if (!wb.id)
		return makeError(ENODEV, "%s (%s) has no writeback connector (vkms needs enable_writeback=1)",
				 device().path().c_str(), device().driverName().c_str());
	FormatSet formats = writebackFormats();
	if (!formats.containsFormat(target.format()))
		return makeError(EINVAL, "the writeback connector of %s cannot write %s (it writes %s)",
				 device().path().c_str(), formatName(target.format()).c_str(),
				 formats.toString().c_str());

	// The display and writeback connectors share the CRTC only if their encoders may
	// clone. vkms leaves possible_clones unset, so the core lets each encoder clone only
	// itself and refuses both at once (drm_atomic_check_valid_clones, 6.12.y). Then the
	// writeback connector takes the CRTC alone for the capture — the CRTC composes the
	// same planes either way — and the display is routed back afterwards.
	const bool clone = canCloneWithWriteback(fd, output_->connector(), wb.encoderMask);
	auto displayProps = drm::objectProperties(fd, output_->connector(), DRM_MODE_OBJECT_CONNECTOR);
	if (!clone)
		HBM_LOG(logDisplay, Info, "%s: display and writeback encoders cannot clone; capturing with the writeback connector alone",
			device().path().c_str());

	int32_t fenceFd = -1;
	drm::AtomicReq req(drmModeAtomicAlloc());
	if (!req)
		return makeError(ENOMEM, "cannot allocate an atomic request");
	for (auto r : {
		     addProperty(req.get(), wb.props, wb.id, "writeback connector", "CRTC_ID", output_->crtc()),
		     addProperty(req.get(), wb.props, wb.id, "writeback connector", "WRITEBACK_FB_ID", target.id()),
		     addProperty(req.get(), wb.props, wb.id, "writeback connector", "WRITEBACK_OUT_FENCE_PTR",
				 reinterpret_cast<uintptr_t>(&fenceFd)),
		     clone ? Result<void>() : addProperty(req.get(), displayProps, output_->connector(), "connector", "CRTC_ID", 0),
	     }) {
		if (!r)
			return withContext(r.error(), device().path());
	}
	auto committed = commit(device(), req.get(), stringf("writeback into framebuffer %u", target.id()));
	if (!committed)
		return committed;

	// The out-fence signals when the writeback job has written the framebuffer.
	UniqueFd fence(fenceFd);
	Result<void> result;
	if (!fence) {
		result = makeError(EIO, "%s returned no writeback out-fence", device().path().c_str());
	} else {
		struct pollfd pfd = {fence.get(), POLLIN, 0};
		int ret;
		do {
			ret = ::poll(&pfd, 1, timeoutMs);
		} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
		if (ret < 0)
			result = makeError(errno, "waiting for the writeback fence of %s", device().path().c_str());
		else if (ret == 0)
			result = makeError(ETIMEDOUT, "writeback on %s did not finish within %d ms",
					   device().path().c_str(), timeoutMs);
	}

	// Leave the routing as showOnPrimary() made it: writeback off, display back on.
	drm::AtomicReq restore(drmModeAtomicAlloc());
	if (!restore)
		return makeError(ENOMEM, "cannot allocate an atomic request");
	for (auto r : {
		     addProperty(restore.get(), wb.props, wb.id, "writeback connector", "CRTC_ID", 0),
		     clone ? Result<void>() : addProperty(restore.get(), displayProps, output_->connector(), "connector", "CRTC_ID", output_->crtc()),
	     }) {
		if (!r)
			return withContext(r.error(), device().path());
	}
	auto restored = commit(device(), restore.get(), "restoring the display after writeback");
	if (!result)
		return result;
	if (!restored)
		return restored;
	HBM_LOG(logDisplay, Debug, "writeback into framebuffer %u done", target.id());
	return {};
}

size_t gemHandleCount(const KmsDevice &device)
{
	return KmsDevice::Private::of(device).gem->size();
}

std::string cardForDriver(std::string_view driver)
{
	for (const std::string &card : deviceNodes("/dev/dri", "card")) {
		UniqueFd fd(::open(card.c_str(), O_RDWR | O_CLOEXEC));
		if (!fd)
			continue;
		drmVersionPtr v = drmGetVersion(fd.get());
		const bool match = v && v->name && std::string_view(v->name) == driver;
		drmFreeVersion(v);
		if (match)
			return card;
	}
	return {};
}

} // namespace hbm::test
