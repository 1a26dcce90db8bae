// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

#include <hbm/export.h>
#include <hbm/format_set.hpp>
#include <hbm/layout.hpp>

namespace hbm {

enum class AllocatorKind {
	DmaHeap, ///< a heap under /dev/dma_heap
	Udmabuf, ///< memfd pages turned into a dma-buf by /dev/udmabuf
	DrmDumb, ///< a DRM dumb buffer, exported by PRIME
	Gbm,     ///< Mesa GBM on a DRM device (driver-native layouts, modifiers)
	Memfd,   ///< plain shared memory: CPU only, no device can import it
};

HBM_EXPORT const char *allocatorKindName(AllocatorKind kind);

/// When an allocation's memory really exists: what a successful allocation promises. The
/// allocator seam refuses, with ENOMEM and a sentence, any request above the allocator's
/// maxSize or this machine's RAM (MemTotal), and more as below, rather than leave the
/// process to the OOM killer.
enum class MemoryCommit {
	/// Pages come at first use (memfd; dumb and GBM buffers of shmem-backed drivers such
	/// as vkms and vgem): only sizes above RAM are refused. Success promises no memory:
	/// touching the pages later may still meet the OOM killer.
	OnFirstUse,
	/// Pages are allocated and pinned by the allocation itself (the system dma-heap,
	/// udmabuf): a request above MemAvailable is refused too. Requests under 1/1024 of
	/// RAM are not compared with it, nor those that free RAM (one sysinfo()) covers with
	/// 1/32 of RAM to spare: reading /proc/meminfo costs more than they do.
	AtAllocation,
	/// Memory reserved at boot or start (a CMA heap, a region): bounded by maxSize; when
	/// the area is full the kernel or the region refuses cleanly, naming what is free.
	Reserved,
};

/// What an allocator can honour, declared as data (minigbm's combinations, wlroots'
/// allocator caps): the core ranks and picks allocators from this alone.
struct AllocatorInfo {
	std::string name; ///< unique: "dma-heap:system", "udmabuf", "dumb:vkms", "gbm:vkms", "memfd"
	AllocatorKind kind = AllocatorKind::Memfd;
	FormatSet formats;             ///< the (format, modifier) pairs it can produce
	bool contiguous = false;       ///< physically contiguous memory
	bool cached = true;            ///< CPU-cached mappings
	bool deviceImportable = false; ///< produces dma-bufs (false: memfd)
	std::string drmDevice;         ///< the DRM node it is tied to, if any
	std::string drmDriver;         ///< that node's kernel driver
	dev_t drmDeviceId = 0;         ///< that node's st_rdev: its memory is local to that device
	uint64_t maxSize = 0;          ///< largest allocation in bytes, 0 if unknown
	std::string maxSizeReason;     ///< what sets maxSize and how to raise it, for refusals
	MemoryCommit memoryCommit = MemoryCommit::OnFirstUse; ///< when its memory really exists
	uint64_t memoryEnd = 0;        ///< its memory lies below this address, 0 if unknown (configured)
	bool subAllocates = false;     ///< buffers are ranges at offsets inside one dma-buf (regions)
};

/// How the buffer will be used; allocators that care (GBM) turn this into their flags.
enum Usage : uint32_t {
	UsageScanout = 1u << 0,
	UsageRender = 1u << 1,
	UsageTexture = 1u << 2,
	UsageCursor = 1u << 3,
	UsageCpuRead = 1u << 4,
	UsageCpuWrite = 1u << 5,
};

/// The usage an allocation without negotiation assumes when none is given (0), in C and C++.
inline constexpr uint32_t kDefaultUsage = UsageRender | UsageCpuWrite;

struct AllocationOptions {
	/// An allocator's exact name; empty picks the first one able to (HBM_ALLOCATOR in the
	/// environment when the context was made names one the same way when this is empty).
	std::string allocator;
	/// Acceptable modifiers in order of preference. DRM_FORMAT_MOD_INVALID (implicit,
	/// driver-chosen layout) is returned only if it is listed here.
	std::vector<uint64_t> modifiers = {0 /* DRM_FORMAT_MOD_LINEAR */};
	/// Alignment for linear layouts.
	LinearRules linear;
	/// 0 (the default, and what C's zeroed hbm_allocate_options say): rendering and CPU
	/// writes, kDefaultUsage.
	uint32_t usage = 0;
	/// Accept memory no device can import (memfd) when nothing else can allocate.
	bool allowCpuOnly = false;
};

} // namespace hbm
