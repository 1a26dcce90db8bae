// SPDX-License-Identifier: MIT
#include "gem_handle_table.hpp"

#include <cerrno>

#include <xf86drm.h>

#include "base/error.hpp"
#include "base/log.hpp"

namespace hbm {

namespace {
LogCategory logGem("gem");
}

GemHandleTable::GemHandleTable(ImportFn import, CloseFn close)
	: import_(std::move(import)), close_(std::move(close))
{
}

GemHandleTable::GemHandleTable(int drmFd)
	: GemHandleTable(
		  [drmFd](int dmabufFd, uint32_t *handle) {
			  return drmPrimeFDToHandle(drmFd, dmabufFd, handle) ? -errno : 0;
		  },
		  [drmFd](uint32_t handle) { return drmCloseBufferHandle(drmFd, handle) ? -errno : 0; })
{
}

GemHandleTable::~GemHandleTable()
{
	// Every user should have released by now; close what is left so nothing leaks.
	for (auto &[handle, refs] : refs_) {
		HBM_LOG(logGem, Warn, "GEM handle %u still had %u users at close", handle, refs);
		close_(handle);
	}
}

Result<uint32_t> GemHandleTable::acquire(int dmabufFd)
{
	std::lock_guard lock(mutex_);
	uint32_t handle = 0;
	int ret = import_(dmabufFd, &handle);
	if (ret < 0)
		return makeError(-ret, "PRIME import of dma-buf fd %d (DRM_IOCTL_PRIME_FD_TO_HANDLE) failed", dmabufFd);
	unsigned refs = ++refs_[handle];
	HBM_LOG(logGem, Debug, "dma-buf fd %d -> GEM handle %u (%u users)", dmabufFd, handle, refs);
	return handle;
}

void GemHandleTable::release(uint32_t handle)
{
	std::lock_guard lock(mutex_);
	auto it = refs_.find(handle);
	if (it == refs_.end()) {
		HBM_LOG(logGem, Error, "release of unknown GEM handle %u", handle);
		return;
	}
	if (--it->second > 0)
		return;
	refs_.erase(it);
	int ret = close_(handle);
	if (ret < 0)
		HBM_LOG(logGem, Error, "closing GEM handle %u failed: errno %d", handle, -ret);
}

size_t GemHandleTable::size() const
{
	std::lock_guard lock(mutex_);
	return refs_.size();
}

unsigned GemHandleTable::references(uint32_t handle) const
{
	std::lock_guard lock(mutex_);
	auto it = refs_.find(handle);
	return it == refs_.end() ? 0 : it->second;
}

} // namespace hbm
