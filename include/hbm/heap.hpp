// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include <hbm/export.h>
#include <hbm/result.hpp>

namespace hbm {

/// A dma-heap the kernel offers under /dev/dma_heap.
struct HeapInfo {
	std::string name;        ///< as the kernel names it: "system", "reserved", "linux,cma" …
	std::string path;        ///< the character device
	bool contiguous = false; ///< physically contiguous memory (a CMA heap)
	bool cached = true;      ///< false for "system-uncached"
};

/// The dma-heaps of this machine, sorted by name. A CMA heap is recognised by its CMA area
/// in /sys/kernel/mm/cma (or debugfs), never by a fixed name: the kernel names it after the
/// area ("reserved", "linux,cma", "default_cma_region" …). No /dev/dma_heap gives an empty
/// list; a directory that cannot be read gives an error.
HBM_EXPORT Result<std::vector<HeapInfo>> listHeaps();

} // namespace hbm
