// SPDX-License-Identifier: MIT
#include "dumb_allocator.hpp"

#include <cerrno>
#include <fcntl.h>

#include <drm.h>
#include <drm_mode.h>
#include <xf86drm.h>

#include "base/error.hpp"

namespace hbm::drm_dumb {

Result<std::unique_ptr<DumbAllocator>> DumbAllocator::create(DrmNode node)
{
	UniqueFd fd = std::move(node.fd);
	const std::string &cardPath = node.path;
	uint64_t dumb = 0, prime = 0;
	if (drmGetCap(fd.get(), DRM_CAP_DUMB_BUFFER, &dumb) || !dumb)
		return makeError(ENOTSUP, "%s has no dumb buffers", cardPath.c_str());
	if (drmGetCap(fd.get(), DRM_CAP_PRIME, &prime) || !(prime & DRM_PRIME_CAP_EXPORT))
		return makeError(ENOTSUP, "%s cannot export dma-bufs (no PRIME export)", cardPath.c_str());
	return std::unique_ptr<DumbAllocator>(
		new DumbAllocator(dumbInfo(cardPath, node.driver, node.device), std::move(fd)));
}

AllocatorInfo dumbInfo(const std::string &node, const std::string &driver, dev_t device)
{
	AllocatorInfo info;
	info.name = "dumb:" + driver;
	info.kind = AllocatorKind::DrmDumb;
	info.formats = linearFormats();
	info.deviceImportable = true;
	info.drmDevice = node;
	info.drmDriver = driver;
	info.drmDeviceId = device;
	// Shmem-backed drivers (vkms, vgem, virtio) give pages at first use; hbm cannot tell.
	info.memoryCommit = MemoryCommit::OnFirstUse;
	return info;
}

Result<void> DumbAllocator::doAllocate(const AllocationRequest &request, Allocation &out)
{
	auto layout = linearLayout(request.format, request.width, request.height, *request.linear);
	if (!layout)
		return layout.error();
	const uint32_t stride = layout->planes[0].stride;
	const uint64_t rows = (layout->size + stride - 1) / stride;
	if (rows > UINT32_MAX)
		return makeError(EOVERFLOW, "%llu rows do not fit a dumb buffer", (unsigned long long)rows);

	// The stride as width in "pixels" of 32 bits, or of 8 when it is not a multiple of 4:
	// the kernel's pitch is then the stride. 32 where it can be, because virtio_gpu makes
	// dumb buffers of 32 bits per pixel only (EINVAL otherwise,
	// drivers/gpu/drm/virtio/virtgpu_gem.c:71, Linux 6.12).
	struct drm_mode_create_dumb create = {};
	create.bpp = stride % 4 == 0 ? 32 : 8;
	create.width = stride / (create.bpp / 8);
	create.height = static_cast<uint32_t>(rows);
	if (drmIoctl(drm_.get(), DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return makeError(errno, "DRM_IOCTL_MODE_CREATE_DUMB of %ux%u pixels of %u bits failed", create.width,
				 create.height, create.bpp);

	int dmabuf = -1;
	int err = drmPrimeHandleToFD(drm_.get(), create.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf) ? errno : 0;
	// The dma-buf, if any, now holds the object: the handle is not needed either way.
	struct drm_mode_destroy_dumb destroy = {};
	destroy.handle = create.handle;
	drmIoctl(drm_.get(), DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	UniqueFd fd(dmabuf);
	if (err)
		return makeError(err, "PRIME export of a dumb buffer (DRM_IOCTL_PRIME_HANDLE_TO_FD) failed");
	if (create.pitch != stride)
		return makeError(ENOTSUP, "the driver gave the dumb buffer pitch %u, not the layout's stride %u",
				 create.pitch, stride);
	out.layout = *layout;
	out.layout.size = create.size;
	out.holdAllPlanesIn(SharedFd(std::move(fd)), create.size);
	return {};
}

} // namespace hbm::drm_dumb
