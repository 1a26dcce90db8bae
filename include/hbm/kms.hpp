// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <hbm/export.h>
#include <hbm/format_set.hpp>
#include <hbm/participant.hpp>
#include <hbm/result.hpp>

namespace hbm {

class Buffer;
class Context;
class KmsDevice;
struct DeviceSnapshot;

/// A KMS framebuffer made from a Buffer (PRIME import + ADDFB2). Removing it releases its
/// GEM handles through the device's handle table. Move-only.
class HBM_EXPORT Framebuffer
{
public:
	Framebuffer(Framebuffer &&other) noexcept;
	Framebuffer &operator=(Framebuffer &&other) noexcept;
	Framebuffer(const Framebuffer &) = delete;
	Framebuffer &operator=(const Framebuffer &) = delete;
	~Framebuffer();

	uint32_t id() const { return id_; }
	uint32_t width() const { return width_; }
	uint32_t height() const { return height_; }
	uint32_t format() const { return format_; }

private:
	friend class KmsDevice;
	Framebuffer(std::shared_ptr<KmsDevice> device, uint32_t id, std::vector<uint32_t> handles,
		    uint32_t width, uint32_t height, uint32_t format);
	void release();

	std::shared_ptr<KmsDevice> device_;
	uint32_t id_ = 0;
	std::vector<uint32_t> handles_; ///< one GEM handle per distinct dma-buf, each counted once
	uint32_t width_ = 0;
	uint32_t height_ = 0;
	uint32_t format_ = 0;
};

struct KmsOpenOptions {
	/// Keep (or take) DRM master on the new fd. Only for a program that owns the display
	/// and will modeset itself — a test, a demo; hbm needs no master for what it does.
	/// Without it, the master the first open of a primary node gets is dropped at once.
	bool master = false;
};

/// A DRM device with KMS, for scanout buffers: its planes as participants, framebuffers
/// made from buffers. It sets the universal-planes client capability and does no
/// modesetting. GEM handles are per open file: this object counts references to every
/// handle it imports on its fd (the same dma-buf imported twice is one handle).
/// Thread-safety: any method from any thread (the handle table has its own lock); a
/// Framebuffer has one owner at a time.
class HBM_EXPORT KmsDevice : public std::enable_shared_from_this<KmsDevice>
{
public:
	/// Opens /dev/dri/cardN at @path, without DRM master unless @options asks for it.
	static Result<std::shared_ptr<KmsDevice>> open(const std::string &path, const KmsOpenOptions &options = {});
	/// Opens the first /dev/dri/card* whose kernel driver is @driver (e.g. "vkms").
	static Result<std::shared_ptr<KmsDevice>> openByDriver(const std::string &driver,
							       const KmsOpenOptions &options = {});
	/// The device of @fd, a primary node the caller keeps — a compositor's fd from logind
	/// or libseat. @fd is duplicated (F_DUPFD_CLOEXEC), not taken, and a duplicate shares
	/// the caller's open file, as gbm_create_device(fd) does: hbm never takes or drops DRM
	/// master on it, the universal-planes capability it sets is the caller's too, and GEM
	/// handles are shared — importing a dma-buf the caller imported on this file gives the
	/// caller's handle, which hbm closes when its last framebuffer of it goes (as GBM does
	/// when a bo is destroyed).
	static Result<std::shared_ptr<KmsDevice>> fromFd(int fd);

	~KmsDevice();
	KmsDevice(const KmsDevice &) = delete;
	KmsDevice &operator=(const KmsDevice &) = delete;

	int fd() const;
	const std::string &path() const;
	const std::string &driverName() const;

	/// Imports every dma-buf of @buffer and creates a framebuffer with all its planes,
	/// offsets, strides and modifier (ADDFB2). CPU-only (memfd) buffers are refused; a
	/// buffer the device cannot import (foreign memory on a device that takes only its
	/// own) is refused naming the device and what was learnt of it, leaving nothing made.
	Result<Framebuffer> addFramebuffer(const Buffer &buffer);

	/// Every plane of the device as a participant: formats and modifiers from its
	/// IN_FORMATS blob, the device's largest framebuffer (the cursor size for cursor
	/// planes), whether it needs physically contiguous memory — true for display drivers
	/// built on DRM's DMA helpers when no IOMMU maps the device
	/// (/sys/class/drm/cardN/device/iommu_group) — and whether it can use memory made
	/// elsewhere. This one opens and allocates nothing: whether the device imports foreign
	/// memory comes from what this process learnt before, else the driver quirk table (a
	/// device that imports only its own memory, virtio-gpu on Linux 6.12, gets
	/// placement.localTo = its own device number), else it is assumed. Each participant's
	/// source says which.
	Result<std::vector<Participant>> planeParticipants() const;
	/// The same, learning foreign import by trying it, once per device and process: a
	/// one-page buffer from one of @context's allocators of foreign memory (a dma-heap or
	/// udmabuf, in the context's order) is PRIME-imported and closed at once, needing no
	/// DRM master. A context with none (a compositor's, given only its DRM fd) probes
	/// nothing, and the source says so.
	Result<std::vector<Participant>> planeParticipants(const Context &context) const;
	/// What planeParticipants() reads, as a value (include <hbm/device_snapshot.hpp>): the
	/// planes, sizes and caps, and the facts as this process knows them (import not probed).
	/// `hbm info --drm-info` writes it in drm_info's format.
	Result<DeviceSnapshot> snapshot() const;
	/// The same, foreign import probed with @context's memory as planeParticipants(context)
	/// does: hbm::planeParticipants() of it is what that returns.
	Result<DeviceSnapshot> snapshot(const Context &context) const;

	/// Whether an IOMMU translates this device's DMA (an iommu_group whose domain is not
	/// identity or blocked).
	bool behindIommu() const;

	struct Private;

private:
	friend class Framebuffer;
	explicit KmsDevice(std::unique_ptr<Private> d);
	std::unique_ptr<Private> d_;
};

} // namespace hbm
