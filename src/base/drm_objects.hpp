// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <xf86drm.h>
#include <xf86drmMode.h>

namespace hbm::drm {

// libdrm's C objects, owned: each freed by its own libdrm function.
template<typename T, void (*Free)(T *)>
struct Deleter {
	void operator()(T *p) const { Free(p); }
};

using Resources = std::unique_ptr<drmModeRes, Deleter<drmModeRes, drmModeFreeResources>>;
using Connector = std::unique_ptr<drmModeConnector, Deleter<drmModeConnector, drmModeFreeConnector>>;
using Encoder = std::unique_ptr<drmModeEncoder, Deleter<drmModeEncoder, drmModeFreeEncoder>>;
using PlaneResources = std::unique_ptr<drmModePlaneRes, Deleter<drmModePlaneRes, drmModeFreePlaneResources>>;
using Plane = std::unique_ptr<drmModePlane, Deleter<drmModePlane, drmModeFreePlane>>;
using ObjectProperties =
	std::unique_ptr<drmModeObjectProperties, Deleter<drmModeObjectProperties, drmModeFreeObjectProperties>>;
using Property = std::unique_ptr<drmModePropertyRes, Deleter<drmModePropertyRes, drmModeFreeProperty>>;
using PropertyBlob =
	std::unique_ptr<drmModePropertyBlobRes, Deleter<drmModePropertyBlobRes, drmModeFreePropertyBlob>>;
using Version = std::unique_ptr<drmVersion, Deleter<drmVersion, drmFreeVersion>>;
using AtomicReq = std::unique_ptr<drmModeAtomicReq, Deleter<drmModeAtomicReq, drmModeAtomicFree>>;

/// Property name -> (id, current value) of one KMS object.
struct PropertyInfo {
	uint32_t id;
	uint64_t value;
};
using PropertyMap = std::map<std::string, PropertyInfo>;

/// The properties of @object (a DRM_MODE_OBJECT_* @type); empty if they cannot be read.
inline PropertyMap objectProperties(int fd, uint32_t object, uint32_t type)
{
	PropertyMap map;
	ObjectProperties props(drmModeObjectGetProperties(fd, object, type));
	if (!props)
		return map;
	for (uint32_t i = 0; i < props->count_props; ++i) {
		Property prop(drmModeGetProperty(fd, props->props[i]));
		if (prop)
			map[prop->name] = {prop->prop_id, props->prop_values[i]};
	}
	return map;
}

} // namespace hbm::drm
