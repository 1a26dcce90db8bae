// SPDX-License-Identifier: MIT
// Planning for a machine hbm cannot touch: a DeviceSnapshot (a drm_info dump) and a model
// of its allocators, negotiated by the same pure function a context uses.
#include <hbm/config.hpp>
#include <hbm/device_snapshot.hpp>

#include <sys/sysmacros.h>

#include "backends/allocator.hpp"
#include "backends/gbm/gbm_capabilities.hpp"
#include "base/string_format.hpp"
#include "context_private.hpp"
#include "kms/driver_quirks.hpp"
#include "kms/kms_device_private.hpp"
#include "negotiation_private.hpp"

namespace hbm {

std::vector<AllocatorInfo> modelledAllocators(const DeviceSnapshot &snapshot, const SnapshotModel &model)
{
	const dev_t device = snapshot.device ? snapshot.device->value : 0;
	// Memory of the device's own making comes from DRM's DMA helpers on such drivers:
	// physically contiguous unless an IOMMU maps the device (no IOMMU known: none).
	const bool ownContiguous = findDriverQuirk(snapshot.driver, DriverQuirk::DmaHelpers) != nullptr &&
				   !(snapshot.behindIommu && snapshot.behindIommu->value);
	std::vector<AllocatorInfo> out;
	if (model.systemHeap) {
		AllocatorInfo heap;
		heap.name = "dma-heap:system";
		heap.kind = AllocatorKind::DmaHeap;
		heap.formats = linearFormats();
		heap.deviceImportable = true;
		heap.memoryCommit = MemoryCommit::AtAllocation;
		out.push_back(std::move(heap));
	}
	const auto own = [&](const std::string &prefix, AllocatorKind kind, FormatSet formats) {
		AllocatorInfo info;
		info.name = prefix + snapshot.driver;
		info.kind = kind;
		info.formats = std::move(formats);
		info.deviceImportable = true;
		info.contiguous = ownContiguous;
		info.drmDevice = snapshot.node;
		info.drmDriver = snapshot.driver;
		info.drmDeviceId = device;
		info.memoryCommit = MemoryCommit::OnFirstUse;
		return info;
	};
	if (model.gbm) {
		std::vector<gbm::PlaneFormats> planes;
		for (const PlaneSnapshot &p : snapshot.planes) {
			gbm::PlaneFormats formats;
			formats.planeId = p.id;
			formats.formats = formatsOf(p);
			planes.push_back(std::move(formats));
		}
		out.push_back(own("gbm:", AllocatorKind::Gbm, gbm::capabilitiesFromPlanes(planes)));
	}
	if (model.dumb)
		out.push_back(own("dumb:", AllocatorKind::DrmDumb, linearFormats()));
	if (model.cmaBytes) {
		AllocatorInfo cma;
		cma.name = "dma-heap:cma";
		cma.kind = AllocatorKind::DmaHeap;
		cma.formats = linearFormats();
		cma.contiguous = true;
		cma.deviceImportable = true;
		cma.memoryCommit = MemoryCommit::Reserved;
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
