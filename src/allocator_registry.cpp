// SPDX-License-Identifier: MIT
// The explicit registry of allocators (minigbm's backend list): what to open, in which
// order they are tried, and why a device was left out.
#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include <hbm/heap.hpp>

#include "backends/dma_heap/dma_heap.hpp"
#include "backends/drm_dumb/dumb_allocator.hpp"
#include "backends/memfd/memfd.hpp"
#include "backends/udmabuf/udmabuf_allocator.hpp"
#include "context_private.hpp"
#include "base/device_nodes.hpp"
#include "base/error.hpp"
#include "hbm_config.h"
#include "base/log.hpp"
#if HBM_HAVE_GBM
#include "backends/gbm/gbm_allocator.hpp"
#include "kms/kms_device_private.hpp"
#endif

namespace hbm {

namespace {

LogCategory logRegistry("context");

/// Rank of an allocator when none is named: scattered dma-buf memory first, contiguous
/// memory (scarce) only when nothing else can, memfd last and only when allowed.
int rank(const AllocatorInfo &info)
{
	switch (info.kind) {
	case AllocatorKind::DmaHeap: return info.contiguous ? 4 : (info.cached ? 0 : 5);
	case AllocatorKind::Udmabuf: return 1;
	case AllocatorKind::Gbm: return 2;
	case AllocatorKind::DrmDumb: return 3;
	case AllocatorKind::Memfd: return 6;
	}
	return 7;
}

template<typename T>
void keep(Result<std::unique_ptr<T>> made, std::vector<std::unique_ptr<Allocator>> *out,
	  std::vector<std::string> *notes)
{
	if (made) {
		out->push_back(std::move(*made));
	} else {
		notes->push_back(made.error().toString());
		HBM_LOG(logRegistry, Info, "left out: %s", made.error().toString().c_str());
	}
}

/// Dumb buffers and GBM on one DRM device: each allocator gets its own duplicate.
void addDrmAllocators(const DrmNode &node, std::vector<std::unique_ptr<Allocator>> *out,
		      std::vector<std::string> *notes)
{
	auto copy = [&]() -> Result<DrmNode> {
		DrmNode n;
		n.fd = UniqueFd(::fcntl(node.fd.get(), F_DUPFD_CLOEXEC, 3));
		if (!n.fd)
			return makeError(errno, "cannot duplicate the descriptor of %s", node.name.c_str());
		n.path = node.path;
		n.name = node.name;
		n.driver = node.driver;
		n.device = node.device;
		return n;
	};
	auto dumb = copy();
	if (dumb)
		keep(drm_dumb::DumbAllocator::create(std::move(*dumb)), out, notes);
	else
		notes->push_back(dumb.error().toString());
#if HBM_HAVE_GBM
	auto gbm = copy();
	if (gbm) {
		const auto planes = gbmPlaneFormats(readPlanes(gbm->fd.get()));
		keep(gbm::GbmAllocator::create(std::move(*gbm), planes), out, notes);
	}
	else
		notes->push_back(gbm.error().toString());
#endif
}

/// Two devices with one driver would share a name: tell them apart by node; then rank.
void finish(std::vector<std::unique_ptr<Allocator>> *out)
{
	for (auto &a : *out)
		for (auto &b : *out)
			if (a != b && a->info().name == b->info().name && !b->info().drmDevice.empty())
				b->rename(b->info().name + "@" + b->info().drmDevice.substr(b->info().drmDevice.rfind('/') + 1));
	std::stable_sort(out->begin(), out->end(),
			 [](const auto &a, const auto &b) { return rank(a->info()) < rank(b->info()); });
}

} // namespace

std::vector<std::unique_ptr<Allocator>> probeAllocators(std::vector<std::string> *notes)
{
	std::vector<std::unique_ptr<Allocator>> out;
	auto heaps = dma_heap::discover();
	if (!heaps)
		notes->push_back(heaps.error().toString());
	else
		for (const HeapInfo &heap : *heaps)
			keep(dma_heap::DmaHeapAllocator::create(heap), &out, notes);

	if (::access("/dev/udmabuf", F_OK) == 0)
		keep(udmabuf::UdmabufAllocator::create(), &out, notes);

	for (const std::string &card : deviceNodes("/dev/dri", "card")) {
		auto node = openDrmNode(card, DrmMaster::Drop);
		if (node)
			addDrmAllocators(*node, &out, notes);
		else
			notes->push_back(node.error().toString());
	}
	out.push_back(memfd::MemfdAllocator::create());
	finish(&out);
	return out;
}

Result<std::vector<std::unique_ptr<Allocator>>> openAllocators(const ContextOptions &options,
							       std::vector<std::string> *notes)
{
	if (options.probe && options.drmFds.empty())
		return probeAllocators(notes);
	std::vector<std::unique_ptr<Allocator>> out;
	if (options.probe) {
		out = probeAllocators(notes);
		out.pop_back(); // memfd, added again below
	}
	for (int fd : options.drmFds) {
		auto node = adoptDrmNode(fd);
		if (!node)
			return withContext(node.error(), "context options");
		addDrmAllocators(*node, &out, notes);
	}
	if (!options.probe) {
		if (!options.heaps.empty()) {
			auto heaps = dma_heap::discover();
			if (!heaps)
				return withContext(heaps.error(), "context options");
			for (const std::string &name : options.heaps) {
				auto heap = std::find_if(heaps->begin(), heaps->end(),
							 [&](const HeapInfo &h) { return h.name == name; });
				if (heap == heaps->end())
					return makeError(ENOENT, "context options: no dma-heap named '%s' here", name.c_str());
				auto made = dma_heap::DmaHeapAllocator::create(*heap);
				if (!made)
					return withContext(made.error(), "context options");
				out.push_back(std::move(*made));
			}
		}
		if (options.udmabuf) {
			auto made = udmabuf::UdmabufAllocator::create();
			if (!made)
				return withContext(made.error(), "context options");
			out.push_back(std::move(*made));
		}
	}
	out.push_back(memfd::MemfdAllocator::create());
	finish(&out);
	return out;
}

} // namespace hbm
