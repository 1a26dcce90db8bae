// SPDX-License-Identifier: MIT
// Planning for a machine hbm cannot touch: a DeviceSnapshot (a drm_info dump) and a model
// of its allocators, negotiated by the same pure function a context uses.
#include <hbm/config.hpp>
#include <hbm/device_snapshot.hpp>

#include <sys/sysmacros.h>

#include "backends/allocator.hpp"
#include "backends/dma_heap/dma_heap.hpp"
#include "backends/drm_dumb/dumb_allocator.hpp"
#include "backends/gbm/gbm_capabilities.hpp"
#include "base/string_format.hpp"
#include "context_private.hpp"
#include "kms/driver_quirks.hpp"
#include "kms/kms_device_private.hpp"
#include "negotiation_private.hpp"

namespace hbm {

std::vector<gbm::PlaneFormats> gbmPlaneFormats(const std::vector<PlaneSnapshot> &planes)
{
	std::vector<gbm::PlaneFormats> out;
	for (const PlaneSnapshot &p : planes)
		out.push_back({p.id, formatsOf(p)});
	return out;
}

std::vector<AllocatorInfo> modelledAllocators(const DeviceSnapshot &snapshot, const SnapshotModel &model)
{
	const dev_t device = snapshot.device ? snapshot.device->value : 0;
	// Memory of the device's own making comes from DRM's DMA helpers on such drivers:
	// physically contiguous unless an IOMMU maps the device (no IOMMU known: none).
	const bool ownContiguous = findDriverQuirk(snapshot.driver, DriverQuirk::DmaHelpers) != nullptr &&
				   !(snapshot.behindIommu && snapshot.behindIommu->value);
	std::vector<AllocatorInfo> out;
	if (model.systemHeap)
		out.push_back(dma_heap::heapInfo("system", false, true));
	if (model.gbm) {
		out.push_back(gbm::gbmInfo(snapshot.node, snapshot.driver, device, gbmPlaneFormats(snapshot.planes)));
		out.back().contiguous = ownContiguous;
	}
	if (model.dumb) {
		out.push_back(drm_dumb::dumbInfo(snapshot.node, snapshot.driver, device));
		out.back().contiguous = ownContiguous;
	}
	if (model.cmaBytes) {
		AllocatorInfo cma = dma_heap::heapInfo("cma", true, true);
		cma.maxSize = model.cmaBytes;
		cma.maxSizeReason = "a modelled CMA area of " + byteCount(model.cmaBytes);
		out.push_back(std::move(cma));
	}
	return out;
}

Result<Plan> planOnSnapshot(const DeviceSnapshot &snapshot, const Request &request,
			    const std::vector<Participant> &participants, const SnapshotModel &model,
			    const Config *config)
{
	const std::vector<AllocatorInfo> allocators = modelledAllocators(snapshot, model);
	auto plan = negotiate(request, config ? applyRules(*config, participants) : participants, allocators);
	if (!plan)
		return plan.error();
	std::string names;
	for (const AllocatorInfo &a : allocators)
		names += (names.empty() ? "" : ", ") + a.name;
	PlanBuilder::prependTrace(*plan, "modelled on " + snapshot.origin + " (" + names +
						  "): nothing allocated, no device touched");
	return plan;
}

} // namespace hbm
