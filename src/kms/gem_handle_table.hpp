// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include <hbm/result.hpp>

namespace hbm {

/// GEM handles are per DRM file and not refcounted by the kernel: importing one dma-buf
/// twice yields the same handle, and one GEM_CLOSE drops it for every user. This table
/// counts users so the handle is closed once, by the last (as wlroots and minigbm do).
class GemHandleTable
{
public:
	/// @import turns a dma-buf fd into a handle (0 or -errno); @close drops a handle.
	using ImportFn = std::function<int(int dmabufFd, uint32_t *handle)>;
	using CloseFn = std::function<int(uint32_t handle)>;

	GemHandleTable(ImportFn import, CloseFn close);
	/// For a real DRM fd: drmPrimeFDToHandle / drmCloseBufferHandle.
	explicit GemHandleTable(int drmFd);
	~GemHandleTable();

	/// The handle of @dmabufFd, counted once more.
	Result<uint32_t> acquire(int dmabufFd);
	/// One user fewer; the handle is closed when none is left.
	void release(uint32_t handle);

	size_t size() const;
	unsigned references(uint32_t handle) const;

private:
	ImportFn import_;
	CloseFn close_;
	mutable std::mutex mutex_;
	std::unordered_map<uint32_t, unsigned> refs_;
};

} // namespace hbm
