// SPDX-License-Identifier: MIT
#pragma once

#include <memory>

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

} // namespace hbm::drm
