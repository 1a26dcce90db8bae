// SPDX-License-Identifier: MIT
#include "backends/gbm/gbm_capabilities.hpp"

#include <drm_fourcc.h>

#include <hbm/format.hpp>

namespace hbm::gbm {

FormatSet capabilitiesFromPlanes(const std::vector<PlaneFormats> &planes)
{
	FormatSet stated;
	for (const PlaneFormats &p : planes)
		stated = stated.unite(p.formats);
	if (planes.empty())
		stated = FormatSet({DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888}, {DRM_FORMAT_MOD_LINEAR});
	FormatSet out;
	for (const FormatSet::Entry &e : stated.entries()) {
		if (!findFormat(e.format))
			continue;
		for (uint64_t m : e.modifiers)
			out.add(e.format, m);
		out.add(e.format, DRM_FORMAT_MOD_LINEAR);
		out.add(e.format, DRM_FORMAT_MOD_INVALID);
	}
	return out;
}

AllocatorInfo gbmInfo(const std::string &node, const std::string &driver, dev_t device,
		      const std::vector<PlaneFormats> &planes)
{
	AllocatorInfo info;
	info.name = "gbm:" + driver;
	info.kind = AllocatorKind::Gbm;
	info.deviceImportable = true;
	info.drmDevice = node;
	info.drmDriver = driver;
	info.drmDeviceId = device;
	// As dumb buffers: on shmem-backed drivers the pages come at first use.
	info.memoryCommit = MemoryCommit::OnFirstUse;
	info.formats = capabilitiesFromPlanes(planes);
	return info;
}

} // namespace hbm::gbm
