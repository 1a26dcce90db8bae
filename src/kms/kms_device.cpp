// SPDX-License-Identifier: MIT
#include <hbm/kms.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <climits>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include <drm_fourcc.h>

#include <hbm/buffer.hpp>
#include <hbm/drm_device.hpp>
#include <hbm/format.hpp>
#include <hbm/unique_fd.hpp>

#include "base/device_nodes.hpp"
#include "base/drm_node.hpp"
#include "base/error.hpp"
#include "kms_device_private.hpp"
#include "base/log.hpp"
#include "base/string_format.hpp"

namespace hbm {

namespace {

LogCategory logKms("kms");

} // namespace

Result<std::shared_ptr<KmsDevice>> KmsDevice::Private::make(DrmNode node)
{
	// Primary and cursor planes are listed, with their "type", only to a client with this
	// capability. It is the only one hbm sets, and it is per open file (an adopted fd's
	// owner gets it too). Not the atomic one: besides atomic modesetting, which hbm does not
	// do, it lets the kernel report aspect ratios in the file's mode lists
	// (drm_setclientcap(), drivers/gpu/drm/drm_ioctl.c).
	if (drmSetClientCap(node.fd.get(), DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1))
		return makeError(EOPNOTSUPP, "%s (%s) does not list universal planes", node.name.c_str(),
				 node.driver.c_str());

	auto d = std::make_unique<Private>();
	d->gem = std::make_unique<GemHandleTable>(node.fd.get());
	d->fd = std::move(node.fd);
	d->path = node.path;
	d->driver = node.driver;
	d->device = node.device;
	uint64_t modifiers = 0;
	d->addfb2Modifiers = drmGetCap(d->fd.get(), DRM_CAP_ADDFB2_MODIFIERS, &modifiers) == 0 && modifiers;
	HBM_LOG(logKms, Info, "opened %s (%s)", node.name.c_str(), d->driver.c_str());
	return std::shared_ptr<KmsDevice>(new KmsDevice(std::move(d)));
}

Result<std::shared_ptr<KmsDevice>> KmsDevice::open(const std::string &path, const KmsOpenOptions &options)
{
	auto node = openDrmNode(path, options.master ? DrmMaster::Take : DrmMaster::Drop);
	if (!node)
		return node.error();
	return Private::make(std::move(*node));
}

Result<std::shared_ptr<KmsDevice>> KmsDevice::fromFd(int fd)
{
	// A duplicate, not a new open: it shares the caller's open file — GEM handles, client
	// capabilities, master state — as gbm_create_device(fd) does.
	auto node = adoptDrmNode(fd);
	if (!node)
		return node.error();
	if (drmGetNodeTypeFromFd(node->fd.get()) == DRM_NODE_RENDER)
		return makeError(EINVAL, "%s is a render node: KMS needs the card's primary node", node->name.c_str());
	return Private::make(std::move(*node));
}

Result<std::shared_ptr<KmsDevice>> KmsDevice::openByDriver(const std::string &driver, const KmsOpenOptions &options)
{
	std::string seen;
	for (const DrmCard &card : listDrmCards()) {
		seen += (seen.empty() ? "" : ", ") + card.node + " (" + (card.driver.empty() ? card.error : card.driver) + ")";
		if (card.driver == driver)
			return open(card.node, options);
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

Result<Framebuffer> KmsDevice::addFramebuffer(const Buffer &buffer)
{
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

	// A driver without modifiers (virtio_gpu: no IN_FORMATS) refuses any framebuffer that
	// names one (drivers/gpu/drm/drm_framebuffer.c:293, Linux 6.12); its implicit layout
	// is linear, so LINEAR goes without the flag, as wlroots does (backend/drm/fb.c). A
	// vendor layout it cannot be told about is refused before anything is imported.
	const bool named = layout.modifier != DRM_FORMAT_MOD_INVALID &&
			   (d_->addfb2Modifiers || layout.modifier != DRM_FORMAT_MOD_LINEAR);
	if (named && !d_->addfb2Modifiers)
		return makeError(EINVAL, "%s (%s) takes no modifiers (DRM_CAP_ADDFB2_MODIFIERS is 0): it cannot scan out a buffer with modifier %s",
				 d_->path.c_str(), d_->driver.c_str(), modifierName(layout.modifier).c_str());
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
				// A device that imports only its own memory is the likely cause: say so, on
				// what was learnt already (no probe here, on a failure path).
				const ForeignImportFinding foreign =
					foreignImportFinding(d_->fd.get(), d_->device, d_->driver, nullptr);
				if (foreign.ownMemoryOnly)
					return makeError(handle.error().code,
							 "%s (%s) cannot scan out this %s buffer: it %s, and the PRIME import of plane %zu (DRM_IOCTL_PRIME_FD_TO_HANDLE) failed: %s; allocate on %s itself (its plane participant asks for that)",
							 d_->path.c_str(), d_->driver.c_str(), buffer.origin().c_str(),
							 foreign.sentence.c_str(), i, strerror(handle.error().code),
							 d_->driver.c_str());
				return withContext(handle.error(), stringf("%s (%s), plane %zu", d_->path.c_str(), d_->driver.c_str(), i));
			}
			handles[i] = *handle;
			held.push_back(*handle);
		}
		pitches[i] = layout.planes[i].stride;
		offsets[i] = static_cast<uint32_t>(layout.planes[i].offset);
		modifiers[i] = layout.modifier;
	}
	uint32_t flags = named ? DRM_MODE_FB_MODIFIERS : 0;
	uint32_t id = 0;
	if (drmModeAddFB2WithModifiers(d_->fd.get(), layout.width, layout.height, layout.format,
				       handles, pitches, offsets, modifiers, &id, flags)) {
		int err = errno;
		releaseHeld();
		return makeError(err, "%s (%s) refused a %ux%u %s framebuffer with modifier %s, stride %u (DRM_IOCTL_MODE_ADDFB2)",
				 d_->path.c_str(), d_->driver.c_str(), layout.width, layout.height,
				 formatName(layout.format).c_str(), modifierName(layout.modifier).c_str(),
				 pitches[0]);
	}
	HBM_LOG(logKms, Debug, "framebuffer %u: %ux%u %s, %zu planes", id, layout.width, layout.height,
		formatName(layout.format).c_str(), layout.planes.size());
	return Framebuffer(shared_from_this(), id, std::move(held), layout.width, layout.height, layout.format);
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
