// SPDX-License-Identifier: MIT
#include "gbm_allocator.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>

#include <drm_fourcc.h>
#include <gbm.h>
#include <xf86drm.h>

#include <hbm/format.hpp>
#include <hbm/unique_fd.hpp>

#include "error.hpp"
#include "log.hpp"
#include "string_format.hpp"

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

GbmAllocator::GbmAllocator(AllocatorInfo info, std::shared_ptr<GbmDevice> device)
	: Allocator(std::move(info)), device_(std::move(device))
{
}

GbmAllocator::~GbmAllocator() = default;

Result<std::unique_ptr<GbmAllocator>> GbmAllocator::create(DrmNode node)
{
	auto device = std::make_shared<GbmDevice>();
	const std::string nodePath = node.path;
	const dev_t deviceId = node.device;
	device->fd = std::move(node.fd);
	device->gbm = gbm_create_device(device->fd.get());
	if (!device->gbm)
		return makeError(ENODEV, "Mesa GBM has no backend for %s", nodePath.c_str());

	drmVersionPtr version = drmGetVersion(device->fd.get());
	std::string driver = version ? version->name : "?";
	drmFreeVersion(version);

	AllocatorInfo info;
	info.name = "gbm:" + driver;
	info.kind = AllocatorKind::Gbm;
	info.deviceImportable = true;
	info.drmDevice = nodePath;
	info.drmDriver = driver;
	info.drmDeviceId = deviceId;
	// GBM cannot list modifiers (EGL can, in libhbm-egl): declare what it always honours,
	// LINEAR through GBM_BO_USE_LINEAR and the driver's implicit layout.
	for (const FormatInfo &f : knownFormats()) {
		if (gbm_device_is_format_supported(device->gbm, f.fourcc, GBM_BO_USE_RENDERING)) {
			info.formats.add(f.fourcc, DRM_FORMAT_MOD_LINEAR);
			info.formats.add(f.fourcc, DRM_FORMAT_MOD_INVALID);
		}
	}
	if (info.formats.empty())
		return makeError(ENOTSUP, "Mesa GBM on %s (%s) supports none of hbm's formats",
				 nodePath.c_str(), driver.c_str());
	HBM_LOG(logGbm, Debug, "%s: %s, backend %s", nodePath.c_str(), driver.c_str(),
		gbm_device_get_backend_name(device->gbm));
	return std::unique_ptr<GbmAllocator>(new GbmAllocator(std::move(info), std::move(device)));
}

Result<Allocation> GbmAllocator::doAllocate(const AllocationRequest &request)
{
	struct gbm_device *gbm = device_->gbm;
	const uint32_t flags = gbmFlags(request.usage);
	const auto &mods = request.modifiers;
	const bool implicitOk = std::find(mods.begin(), mods.end(), DRM_FORMAT_MOD_INVALID) != mods.end();
	const bool linearOk = std::find(mods.begin(), mods.end(), DRM_FORMAT_MOD_LINEAR) != mods.end();
	std::vector<uint64_t> explicitMods;
	std::copy_if(mods.begin(), mods.end(), std::back_inserter(explicitMods),
		     [](uint64_t m) { return m != DRM_FORMAT_MOD_INVALID; });

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

	std::shared_ptr<GbmDevice> device = device_;
	std::shared_ptr<void> keep(bo, [device](void *p) { gbm_bo_destroy(static_cast<struct gbm_bo *>(p)); });

	Allocation a;
	a.keepAlive = keep;
	a.layout.width = request.width;
	a.layout.height = request.height;
	a.layout.format = request.format;
	a.layout.modifier = modifier;
	const FormatInfo *info = findFormat(request.format);
	const int planes = gbm_bo_get_plane_count(bo);
	if (planes < 1 || planes > 4)
		return makeError(EPROTO, "Mesa GBM reported %d planes", planes);
	for (int i = 0; i < planes; ++i) {
		// gbm_bo_get_fd_for_plane() exports without DRM_RDWR, so the CPU could not map the
		// buffer writable: export the plane's handle on our own fd, read-write.
		int raw = -1;
		uint32_t handle = gbm_bo_get_handle_for_plane(bo, i).u32;
		if (drmPrimeHandleToFD(device_->fd.get(), handle, DRM_CLOEXEC | DRM_RDWR, &raw))
			return makeError(errno, "PRIME export of plane %d (GEM handle %u) failed", i, handle);
		UniqueFd fd(raw);
		// Planes of one bo are one dma-buf: keep a single descriptor for them.
		SharedFd shared = (i > 0 && sameFile(fd.get(), a.planeFds[0].get())) ? a.planeFds[0]
										      : SharedFd(std::move(fd));
		PlaneLayout p;
		p.offset = gbm_bo_get_offset(bo, i);
		p.stride = gbm_bo_get_stride_for_plane(bo, i);
		unsigned vsub = (info && i < info->planeCount) ? info->planes[i].vsub : 1;
		p.size = uint64_t(p.stride) * ((request.height + vsub - 1) / vsub);
		a.layout.planes.push_back(p);
		a.planeFds.push_back(std::move(shared));
	}
	a.layout.size = 0;
	for (const PlaneLayout &p : a.layout.planes)
		a.layout.size = std::max(a.layout.size, p.offset + p.size);
	return a;
}

} // namespace hbm::gbm
