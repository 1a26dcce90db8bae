// SPDX-License-Identifier: MIT
// The C ABI's participants: KMS planes and V4L2 queues of the caller's descriptors, those
// declared in configuration or by the caller, and the constraints a caller adds by hand.
#include <algorithm>
#include <cerrno>
#include <numeric>

#include <hbm/v4l2.hpp>

#include "seam/c_interop.hpp"

#include "c_api_private.hpp"
#include "constraint_check.hpp"
#include "base/error.hpp"
#include "base/string_format.hpp"

using namespace hbm::capi;

static_assert(uint32_t(HBM_PLANE_OVERLAY) == uint32_t(hbm::PlaneType::Overlay) &&
		      uint32_t(HBM_PLANE_PRIMARY) == uint32_t(hbm::PlaneType::Primary) &&
		      uint32_t(HBM_PLANE_CURSOR) == uint32_t(hbm::PlaneType::Cursor),
	      "hbm_plane_type and hbm::PlaneType differ");

namespace {

const char *planeTypeName(hbm::PlaneType type)
{
	switch (type) {
	case hbm::PlaneType::Primary: return "primary";
	case hbm::PlaneType::Cursor: return "cursor";
	case hbm::PlaneType::Overlay: return "overlay";
	}
	return "unknown";
}

int give(hbm::Participant participant, struct hbm_participant **out)
{
	*out = hbm_seam::wrapParticipant(std::move(participant));
	return 0;
}

/// The planes of the DRM device @fd, and a sentence naming the device and listing them.
struct DevicePlanes {
	std::vector<hbm::Participant> planes;
	std::string device; ///< "DRM fd 5 (/dev/dri/card1, vkms)"
	std::string list;   ///< "31 (primary), 33 (overlay) …"
};

/// @probeCtx null: nothing is probed (KmsDevice::planeParticipants()); else foreign import
/// is probed with that context's memory.
int readPlanes(const char *function, int fd, const hbm_context *probeCtx, DevicePlanes *out)
{
	auto kms = kmsDeviceOf(fd, function);
	if (!kms)
		return fail(kms.error());
	auto planes = probeCtx ? (*kms)->planeParticipants(*probeCtx->context) : (*kms)->planeParticipants();
	if (!planes)
		return fail(hbm::withContext(planes.error(), function));
	out->device = hbm::stringf("DRM fd %d (%s, %s)", fd, (*kms)->path().c_str(), (*kms)->driverName().c_str());
	for (const hbm::Participant &p : *planes) {
		const auto &id = std::get<hbm::KmsPlaneIdentity>(p.identity);
		out->list += hbm::stringf("%s%u (%s)", out->list.empty() ? "" : ", ", id.planeId, planeTypeName(id.type));
	}
	if (out->list.empty())
		out->list = "none";
	out->planes = std::move(*planes);
	return 0;
}

} // namespace

namespace hbm::capi {

int v4l2QueueOf(const char *function, int fd, enum hbm_v4l2_queue queue, std::shared_ptr<V4l2Device> &device,
		V4l2Queue &which)
{
	if (queue != HBM_V4L2_CAPTURE && queue != HBM_V4L2_OUTPUT)
		return fail(EINVAL, "%s: %u is not a queue (HBM_V4L2_CAPTURE, HBM_V4L2_OUTPUT)", function, uint32_t(queue));
	auto opened = V4l2Device::fromFd(fd);
	if (!opened)
		return fail(withContext(opened.error(), function));
	device = std::move(*opened);
	which = queue == HBM_V4L2_CAPTURE ? V4l2Queue::Capture : V4l2Queue::Output;
	return 0;
}

} // namespace hbm::capi

extern "C" {

int hbm_participant_create_for_kms_plane(int drm_fd, uint32_t plane_id, const struct hbm_context *probe_ctx,
					 struct hbm_participant **out)
{
	static const char *const function = "hbm_participant_create_for_kms_plane";
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	DevicePlanes device;
	if (int err = readPlanes(function, drm_fd, probe_ctx, &device))
		return err;
	for (hbm::Participant &p : device.planes)
		if (std::get<hbm::KmsPlaneIdentity>(p.identity).planeId == plane_id)
			return give(std::move(p), out);
	return fail(ENOENT, "%s: %s has no plane %u; its planes: %s", function, device.device.c_str(), plane_id,
		    device.list.c_str());
}

int hbm_participant_create_for_kms_plane_type(int drm_fd, enum hbm_plane_type type, uint32_t crtc_mask,
					      const struct hbm_context *probe_ctx, struct hbm_participant **out)
{
	static const char *const function = "hbm_participant_create_for_kms_plane_type";
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	if (uint32_t(type) > HBM_PLANE_CURSOR)
		return fail(EINVAL, "%s: %u is not a plane type (HBM_PLANE_OVERLAY, _PRIMARY, _CURSOR)", function,
			    uint32_t(type));
	DevicePlanes device;
	if (int err = readPlanes(function, drm_fd, probe_ctx, &device))
		return err;
	for (hbm::Participant &p : device.planes) {
		const auto &id = std::get<hbm::KmsPlaneIdentity>(p.identity);
		if (p.isPlane(hbm::PlaneType(type)) && (!crtc_mask || (id.possibleCrtcs & crtc_mask)))
			return give(std::move(p), out);
	}
	return fail(ENOENT, "%s: %s has no %s plane%s; its planes: %s", function, device.device.c_str(),
		    planeTypeName(hbm::PlaneType(type)),
		    crtc_mask ? hbm::stringf(" for CRTC mask 0x%x", crtc_mask).c_str() : "", device.list.c_str());
}

int hbm_participant_create_for_v4l2(int v4l2_fd, enum hbm_v4l2_queue queue, uint32_t width, uint32_t height,
				    struct hbm_participant **out)
{
	static const char *const function = "hbm_participant_create_for_v4l2";
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	std::shared_ptr<hbm::V4l2Device> device;
	hbm::V4l2Queue which;
	if (int err = v4l2QueueOf(function, v4l2_fd, queue, device, which))
		return err;
	auto participant = device->participant(which, width, height);
	if (!participant)
		return fail(hbm::withContext(participant.error(), function));
	return give(std::move(*participant), out);
}

int hbm_participant_create_declared(const struct hbm_context *ctx, const char *name, struct hbm_participant **out)
{
	static const char *const function = "hbm_participant_create_declared";
	if (!ctx || !name || !out)
		return fail(EINVAL, "%s: ctx, name and out must not be NULL", function);
	auto participant = ctx->context->declaredParticipant(name);
	if (!participant)
		return fail(hbm::withContext(participant.error(), function));
	return give(std::move(*participant), out);
}

int hbm_participant_create_for_formats(const char *name, const uint32_t *formats, const uint64_t *modifiers,
				       uint32_t count, struct hbm_participant **out)
{
	static const char *const function = "hbm_participant_create_for_formats";
	if (!name || !*name || !out)
		return fail(EINVAL, "%s: name (not empty) and out must not be NULL", function);
	if (!count || !formats || !modifiers)
		return fail(EINVAL, "%s: a participant takes at least one (format, modifier) pair: give both arrays and count",
			    function);
	hbm::FormatSet set;
	for (uint32_t i = 0; i < count; ++i)
		set.add(formats[i], modifiers[i]);
	return give(hbm::declaredParticipant(name, std::move(set)), out);
}

void hbm_participant_destroy(struct hbm_participant *participant)
{
	delete participant;
}

const char *hbm_participant_get_name(const struct hbm_participant *participant)
{
	return participant ? participant->name.c_str() : nullptr;
}

int hbm_participant_get_info(const struct hbm_participant *participant, struct hbm_participant_info *out)
{
	if (!participant)
		return fail(EINVAL, "hbm_participant_get_info: participant is NULL");
	const hbm::Participant &p = participant->participant;
	hbm_participant_info info{};
	info.name = participant->name.c_str();
	info.source = p.source.c_str();
	info.driver = "";
	if (const auto *plane = std::get_if<hbm::KmsPlaneIdentity>(&p.identity)) {
		info.kind = HBM_PARTICIPANT_KMS_PLANE;
		info.driver = plane->driver.c_str();
		info.device = plane->device;
		info.plane_id = plane->planeId;
		info.plane_type = uint32_t(plane->type);
		info.possible_crtcs = plane->possibleCrtcs;
	} else if (const auto *queue = std::get_if<hbm::V4l2QueueIdentity>(&p.identity)) {
		info.kind = HBM_PARTICIPANT_V4L2_QUEUE;
		info.driver = queue->driver.c_str();
		info.device = queue->device;
		info.v4l2_queue = queue->queue == hbm::V4l2Queue::Capture ? HBM_V4L2_CAPTURE : HBM_V4L2_OUTPUT;
	} else if (const auto *egl = std::get_if<hbm::EglDisplayIdentity>(&p.identity)) {
		info.kind = HBM_PARTICIPANT_EGL_DISPLAY;
		info.driver = egl->driver.c_str();
		info.device = egl->device;
	} else if (const auto *tranche = std::get_if<hbm::WaylandTrancheIdentity>(&p.identity)) {
		info.kind = HBM_PARTICIPANT_WAYLAND_TRANCHE;
		info.device = tranche->mainDevice;
		info.target_device = tranche->targetDevice;
		info.tranche_index = tranche->index;
		info.tranche_flags = tranche->scanout ? 1u : 0u;
	} else {
		info.kind = HBM_PARTICIPANT_DECLARED;
	}
	return writeStruct("hbm_participant_get_info", out, info);
}

int hbm_participant_get_constraints(const struct hbm_participant *participant, struct hbm_constraints *out)
{
	if (!participant)
		return fail(EINVAL, "hbm_participant_get_constraints: participant is NULL");
	const hbm::Constraints &c = participant->participant.constraints;
	auto *self = const_cast<hbm_participant *>(participant); // the pointer view is a cache
	self->allowed.clear();
	for (const std::string &name : c.placement.allowedAllocators)
		self->allowed.push_back(name.c_str());
	hbm_constraints full{};
	full.flags = (c.placement.contiguous ? HBM_CONSTRAINT_CONTIGUOUS : 0) |
		     (c.planesAtStart ? HBM_CONSTRAINT_PLANES_AT_START : 0) |
		     (c.placement.cached ? (*c.placement.cached ? HBM_CONSTRAINT_CACHED : HBM_CONSTRAINT_UNCACHED) : 0);
	full.stride_alignment = c.strideAlignment;
	full.offset_alignment = c.offsetAlignment;
	full.max_width = c.maxWidth;
	full.max_height = c.maxHeight;
	full.max_stride = c.maxStride;
	full.address_limit = c.placement.addressLimit;
	full.local_to_device = c.placement.localTo;
	full.allowed_allocators = self->allowed.empty() ? nullptr : self->allowed.data();
	full.allowed_allocator_count = uint32_t(self->allowed.size());
	return writeStruct("hbm_participant_get_constraints", out, full);
}

int hbm_participant_add_constraints(struct hbm_participant *participant, const struct hbm_constraints *constraints)
{
	static const char *const function = "hbm_participant_add_constraints";
	if (!participant)
		return fail(EINVAL, "%s: participant is NULL", function);
	hbm_constraints in;
	if (int err = readStruct(function, constraints, &in))
		return err;
	const char *who = participant->name.c_str();
	const uint32_t known = HBM_CONSTRAINT_CONTIGUOUS | HBM_CONSTRAINT_PLANES_AT_START | HBM_CONSTRAINT_CACHED |
			       HBM_CONSTRAINT_UNCACHED;
	if (in.flags & ~known)
		return fail(EINVAL, "%s: unknown flags 0x%x", function, in.flags & ~known);
	if (in.allowed_allocator_count && !in.allowed_allocators)
		return fail(EINVAL, "%s: allowed_allocator_count is set but allowed_allocators is NULL", function);

	// What is added, as a participant's constraints (alignment 0: none), tightened into
	// the participant's by the core's one rule: a refusal is data, and changes nothing.
	const hbm::ParticipantIdentity &id = participant->participant.identity;
	hbm::Constraints more;
	more.strideAlignment = in.stride_alignment ? in.stride_alignment : 1;
	more.offsetAlignment = in.offset_alignment ? in.offset_alignment : 1;
	more.maxWidth = in.max_width;
	more.maxHeight = in.max_height;
	more.maxStride = in.max_stride;
	more.planesAtStart = in.flags & HBM_CONSTRAINT_PLANES_AT_START;
	more.placement.contiguous = in.flags & HBM_CONSTRAINT_CONTIGUOUS;
	more.placement.addressLimit = in.address_limit;
	more.placement.localTo = dev_t(in.local_to_device);
	if (in.flags & (HBM_CONSTRAINT_CACHED | HBM_CONSTRAINT_UNCACHED))
		more.placement.cached = bool(in.flags & HBM_CONSTRAINT_CACHED);
	for (uint32_t i = 0; i < in.allowed_allocator_count; ++i) {
		if (!in.allowed_allocators[i])
			return fail(EINVAL, "%s: allowed allocator %u is NULL", function, i);
		more.placement.allowedAllocators.push_back(in.allowed_allocators[i]);
	}
	std::optional<hbm::Rejection> refused = hbm::validateConstraints(more, id);
	if (!refused && (in.flags & HBM_CONSTRAINT_CACHED) && (in.flags & HBM_CONSTRAINT_UNCACHED)) {
		refused.emplace();
		refused->reason = hbm::RejectReason::CachingConflict;
		refused->setBy = {id};
		refused->value = 1;
	}
	hbm::Constraints c = participant->participant.constraints;
	hbm::SetBy setBy;
	if (!refused)
		refused = hbm::tightenConstraints(c, setBy, more, id);
	if (refused)
		return fail(hbm::refusalError(EINVAL, hbm::Refusal{hbm::stringf("%s: constraints added to %s", function, who),
								    {std::move(*refused)},
								    {}}));
	participant->participant.constraints = std::move(c);
	return 0;
}

} // extern "C"
