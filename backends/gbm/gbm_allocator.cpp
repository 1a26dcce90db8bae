// SPDX-License-Identifier: MIT
#include "gbm_allocator.hpp"

#include <algorithm>
#include <span>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>

#include <drm_fourcc.h>
#include <gbm.h>
#include <xf86drm.h>

#include <hbm/format.hpp>
#include <hbm/unique_fd.hpp>

#include "base/error.hpp"
#include "base/drm_objects.hpp"
#include "base/log.hpp"
#include "base/string_format.hpp"

namespace hbm::gbm {

namespace {

LogCategory logGbm("gbm");

uint32_t gbmFlags(uint32_t usage)
{
	uint32_t flags = 0;
	if (usage & UsageScanout)
		flags |= GBM_BO_USE_SCANOUT;
	if (usage & (UsageRender | UsageTexture))
		flags |= GBM_BO_USE_RENDERING;
	if (usage & UsageCursor)
		flags |= GBM_BO_USE_CURSOR;
	return flags;
}

bool sameFile(int a, int b)
{
	struct stat sa, sb;
	return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

} // namespace

/// The DRM fd and gbm_device, kept alive by the allocator and by every bo made from it.
struct GbmDevice {
	UniqueFd fd;
	struct gbm_device *gbm = nullptr;
	~GbmDevice()
	{
		if (gbm)
			gbm_device_destroy(gbm);
	}
};

GbmAllocator::GbmAllocator(AllocatorInfo info, UniqueFd fd)
	: Allocator(std::move(info)), fd_(std::move(fd)),
	  formatSupported_(new std::atomic<uint8_t>[knownFormats().size()]())
{
}

GbmAllocator::~GbmAllocator() = default;

Result<std::unique_ptr<GbmAllocator>> GbmAllocator::create(DrmNode node, const std::vector<PlaneFormats> &planes)
{
	const std::string &nodePath = node.path;
	const std::string &driver = node.driver;
	HBM_LOG(logGbm, Debug, "%s: %s, %zu KMS planes", nodePath.c_str(), driver.c_str(), planes.size());
	AllocatorInfo info = gbmInfo(nodePath, driver, node.device, planes);
	if (info.formats.empty())
		return makeError(ENOTSUP, "the planes of %s (%s) take none of hbm's formats", nodePath.c_str(),
				 driver.c_str());
	return std::unique_ptr<GbmAllocator>(new GbmAllocator(std::move(info), std::move(node.fd)));
}

Result<const std::shared_ptr<GbmDevice> *> GbmAllocator::makeDevice()
{
	std::call_once(deviceOnce_, [this] {
		if (!fd_) {
			deviceError_ = "no DRM descriptor to make a GBM device on";
			return;
		}
		auto made = std::make_shared<GbmDevice>();
		made->gbm = gbm_create_device(fd_.get());
		if (!made->gbm) {
			deviceError_ = "Mesa GBM has no backend for it";
			return;
		}
		HBM_LOG(logGbm, Debug, "%s: GBM backend %s", info_.drmDevice.c_str(),
			gbm_device_get_backend_name(made->gbm));
		made->fd = std::move(fd_);
		device_ = std::move(made);
	});
	if (!device_)
		return makeError(ENODEV, "%s on %s: %s", info_.name.c_str(), info_.drmDevice.c_str(),
				 deviceError_.c_str());
	deviceMade_.store(true, std::memory_order_release);
	return &device_;
}

Result<void> GbmAllocator::doAllocate(const AllocationRequest &request, Allocation &out)
{
	auto device = this->device();
	if (!device)
		return device.error();
	const std::shared_ptr<GbmDevice> &held = **device;
	struct gbm_device *gbm = held->gbm;
	// The planes said which formats the display takes; whether the driver renders them is
	// asked now, the first time it matters (a GBM device at probe would load a driver).
	const FormatInfo *info = findFormat(request.format);
	std::atomic<uint8_t> *supported = info ? &formatSupported_[size_t(info - knownFormats().data())] : nullptr;
	uint8_t known = supported ? supported->load(std::memory_order_relaxed) : 0;
	if (known == 0) {
		known = gbm_device_is_format_supported(gbm, request.format, GBM_BO_USE_RENDERING) ? 1 : 2;
		if (supported)
			supported->store(known, std::memory_order_relaxed);
	}
	if (known == 2)
		return makeError(ENOTSUP, "Mesa GBM (%s) on %s cannot make %s", gbm_device_get_backend_name(gbm),
				 info_.drmDevice.c_str(), formatName(request.format).c_str());
	const uint32_t flags = gbmFlags(request.usage);
	const auto &mods = request.modifiers;
	const bool implicitOk = std::find(mods.begin(), mods.end(), DRM_FORMAT_MOD_INVALID) != mods.end();
	const bool linearOk = std::find(mods.begin(), mods.end(), DRM_FORMAT_MOD_LINEAR) != mods.end();
	// The explicit modifiers, kept inline for the usual few (a plane offers a handful).
	uint64_t inlineMods[8];
	std::vector<uint64_t> manyMods;
	if (mods.size() > std::size(inlineMods))
		manyMods.resize(mods.size());
	uint64_t *const into = manyMods.empty() ? inlineMods : manyMods.data();
	const std::span<uint64_t> explicitMods(
		into, size_t(std::copy_if(mods.begin(), mods.end(), into,
					  [](uint64_t m) { return m != DRM_FORMAT_MOD_INVALID; }) -
			     into));

	struct gbm_bo *bo = nullptr;
	uint64_t modifier = DRM_FORMAT_MOD_INVALID;
	std::string tried;
	const bool linearOnly = explicitMods.size() == 1 && explicitMods[0] == DRM_FORMAT_MOD_LINEAR;
	if (!explicitMods.empty() && !(linearOnly && linearListRefused_.load(std::memory_order_relaxed))) {
		bo = gbm_bo_create_with_modifiers2(gbm, request.width, request.height, request.format,
						   explicitMods.data(), unsigned(explicitMods.size()), flags);
		if (bo) {
			modifier = gbm_bo_get_modifier(bo);
			if (std::find(explicitMods.begin(), explicitMods.end(), modifier) == explicitMods.end()) {
				// The driver took the list but will not say which layout it chose
				// (no modifier support): do not pay for that bo again.
				tried += "with_modifiers2 gave modifier " + modifierName(modifier) + "; ";
				gbm_bo_destroy(bo);
				bo = nullptr;
				if (linearOnly)
					linearListRefused_.store(true, std::memory_order_relaxed);
			}
		} else {
			tried += stringf("with_modifiers2: %s; ", strerror(errno));
			if (linearOnly)
				linearListRefused_.store(true, std::memory_order_relaxed);
		}
	}
	if (!bo && linearOk) {
		bo = gbm_bo_create(gbm, request.width, request.height, request.format, flags | GBM_BO_USE_LINEAR);
		if (bo) {
			uint64_t reported = gbm_bo_get_modifier(bo);
			if (reported != DRM_FORMAT_MOD_LINEAR && reported != DRM_FORMAT_MOD_INVALID) {
				tried += "USE_LINEAR gave modifier " + modifierName(reported) + "; ";
				gbm_bo_destroy(bo);
				bo = nullptr;
			} else {
				modifier = DRM_FORMAT_MOD_LINEAR; // linear by construction
			}
		} else {
			tried += stringf("USE_LINEAR: %s; ", strerror(errno));
		}
	}
	if (!bo && implicitOk) {
		bo = gbm_bo_create(gbm, request.width, request.height, request.format, flags);
		if (bo) {
			uint64_t reported = gbm_bo_get_modifier(bo);
			// Report what the driver chose when it was asked for; else it stays implicit.
			modifier = std::find(mods.begin(), mods.end(), reported) != mods.end() ? reported
												 : DRM_FORMAT_MOD_INVALID;
		} else {
			tried += stringf("implicit: %s; ", strerror(errno));
		}
	}
	if (!bo) {
		if (!tried.empty())
			tried.resize(tried.size() - 2);
		return makeError(ENOTSUP, "Mesa GBM made no buffer (%s)", tried.c_str());
	}

	Allocation &a = out;
	// The bo, destroyed with the buffer; the device it came from outlives it (held by
	// keepAlive from here on).
	const GbmDevice &dev = *held;
	a.keepAlive = BackendHold(held, bo, 0,
				  [](void *object, uint64_t) { gbm_bo_destroy(static_cast<struct gbm_bo *>(object)); });
	a.layout.width = request.width;
	a.layout.height = request.height;
	a.layout.format = request.format;
	a.layout.modifier = modifier;
	const int planes = gbm_bo_get_plane_count(bo);
	if (planes < 1 || planes > 4)
		return makeError(EPROTO, "Mesa GBM reported %d planes", planes);
	for (int i = 0; i < planes; ++i) {
		// gbm_bo_get_fd_for_plane() exports without DRM_RDWR, so the CPU could not map the
		// buffer writable: export the plane's handle on our own fd, read-write.
		int raw = -1;
		// One plane: the bo's own handle, which gbm_bo_create() asked of the driver already
		// (gbm_bo_get_handle() reads it; the per-plane query asks the driver again, ~370
		// instructions of Mesa's per buffer).
		uint32_t handle = planes == 1 ? gbm_bo_get_handle(bo).u32 : gbm_bo_get_handle_for_plane(bo, i).u32;
		if (drmPrimeHandleToFD(dev.fd.get(), handle, DRM_CLOEXEC | DRM_RDWR, &raw))
			return makeError(errno, "PRIME export of plane %d (GEM handle %u, DRM_IOCTL_PRIME_HANDLE_TO_FD) failed", i, handle);
		UniqueFd fd(raw);
		// Planes of one bo are one dma-buf: keep a single descriptor for them.
		if (i > 0 && sameFile(fd.get(), a.memories[0].fd.get()))
			a.planeMemory.push_back(0);
		else {
			a.planeMemory.push_back(uint8_t(a.memories.size()));
			a.memories.emplace_back(AllocatedMemory{SharedFd(std::move(fd)), 0});
		}
		PlaneLayout p;
		p.offset = gbm_bo_get_offset(bo, i);
		p.stride = gbm_bo_get_stride_for_plane(bo, i);
		unsigned vsub = (info && i < info->planeCount) ? info->planes[i].vsub : 1;
		p.size = uint64_t(p.stride) * ((request.height + vsub - 1) / vsub);
		a.layout.planes.push_back(p);
	}
	a.layout.size = 0;
	// GBM does not say how big a bo is: each descriptor is claimed to reach as far as the
	// planes in it, and not asked of the kernel per buffer (an lseek per allocation was
	// most of what hbm added to Mesa's own path). The first CPU mapping checks the claim.
	for (int i = 0; i < planes; ++i) {
		const PlaneLayout &p = a.layout.planes[i];
		uint64_t &extent = a.memories[a.planeMemory[i]].size;
		extent = std::max(extent, p.offset + p.size);
		a.layout.size = std::max(a.layout.size, p.offset + p.size);
	}
	a.sizesClaimed = true;
	return {};
}

} // namespace hbm::gbm
