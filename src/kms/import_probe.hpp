// SPDX-License-Identifier: MIT
// Whether a KMS device imports dma-bufs made elsewhere, learnt by trying it once per device
// and process, not assumed: virtio-gpu on Linux 6.12 lists PRIME import among its
// capabilities (DRM_CAP_PRIME) and still refuses every foreign dma-buf.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <sys/types.h>

#include <hbm/result.hpp>
#include <hbm/shared_fd.hpp>
#include <hbm/unique_fd.hpp>

namespace hbm {

/// What a device does with a dma-buf another exporter made.
enum class ForeignImport {
	Importable,    ///< PRIME import of a foreign buffer worked
	OwnMemoryOnly, ///< the device refused it: only memory it made itself will do
	Unknown,       ///< not learnt (no foreign exporter here, or a failure that says nothing)
};

/// One probe's finding.
struct ImportProbe {
	ForeignImport answer = ForeignImport::Unknown;
	/// For sentences: "PRIME import of a one-page dma-heap:system buffer worked", "… refused
	/// with ENODEV", "no foreign exporter to probe with (…)".
	std::string how;
	int error = 0;            ///< the import's errno when it failed
	uint64_t microseconds = 0; ///< what the probe cost, foreign buffer included
};

/// A one-page dma-buf from an exporter that is not a DRM device, and its name. One page,
/// so that it is contiguous whatever the exporter: a device that needs contiguous memory
/// (DRM's DMA helpers refuse a scattered import, drm_gem_dma_prime_import_sg_table()) is
/// not taken for one that imports nothing. It comes from an allocator the caller's context
/// holds (foreignPageOf()), never from a device hbm opens for the purpose.
struct ForeignPage {
	SharedFd fd;
	std::string exporter; ///< the allocator's name: "dma-heap:system", "udmabuf"
};

/// What a failed PRIME import's @error says of the device: a refusal of foreign memory
/// (ENODEV from virtgpu_gem_prime_import_sg_table(), EOPNOTSUPP, ENOSYS, EINVAL …), or
/// nothing (ENOMEM, EINTR, EAGAIN, EMFILE, ENFILE, EACCES, EPERM: the machine or the fd's
/// rights, not the device). Pure.
ForeignImport classifyImportError(int error);

/// The import and GEM-close of a DRM fd, as functions (tests give fakes).
using PrimeImportFn = std::function<int(int dmabufFd, uint32_t *handle)>; ///< 0 or -errno
using GemCloseFn = std::function<void(uint32_t handle)>;
using ForeignPageFn = std::function<Result<ForeignPage>()>;

/// Makes a foreign page (@makePage), imports it (@import) and closes the handle at once.
/// Never cached. DRM_IOCTL_PRIME_FD_TO_HANDLE is DRM_RENDER_ALLOW, not DRM_AUTH
/// (drivers/gpu/drm/drm_ioctl.c:611, Linux 6.12): it needs neither DRM master nor an
/// authenticated file, so it works on a compositor's fd whoever holds master, and hbm
/// never asks for master to probe.
ImportProbe probeForeignImport(const PrimeImportFn &import, const GemCloseFn &close, const ForeignPageFn &makePage);

/// The probe on @drmFd, the node of @device, with a page from @makePage, made once per
/// device and process: a conclusive answer (Importable or OwnMemoryOnly) is kept for
/// @device; Unknown is asked again next time. The GEM handle it makes is a new object's,
/// closed before it returns, so a caller's handles on a shared (adopted) file are never
/// touched.
ImportProbe foreignImportOf(int drmFd, dev_t device, const ForeignPageFn &makePage);

/// The kept answer for @device, if it was probed (Unknown otherwise); probes nothing.
ImportProbe knownForeignImport(dev_t device);

} // namespace hbm
