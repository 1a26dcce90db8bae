// SPDX-License-Identifier: MIT
// The C ABI of the compositor side (include/hbm/hbm-wayland-compositor.h) over the C++ one.
// hbm.h's convention is kept by libhbm's own helpers (src/seam/c_interop.hpp).
#include <hbm/hbm-wayland-compositor.h>

#include <cerrno>
#include <optional>

#include <wayland-server-core.h>

#include "c_interop.hpp"
#include <hbm/wayland/compositor.hpp>

struct hbm_wl_compositor_feedback {
	hbm::wayland::Feedback feedback;
};

struct hbm_wl_compositor_dmabuf {
	std::unique_ptr<hbm::wayland::LinuxDmabuf> dmabuf;
};

HBM_C_STRUCT(hbm_wl_compositor_feedback_options, HBM_WL_COMPOSITOR_FEEDBACK_OPTIONS_SIZE_V1)
HBM_C_STRUCT(hbm_wl_compositor_dmabuf_options, HBM_WL_COMPOSITOR_DMABUF_OPTIONS_SIZE_V1)

namespace {

using hbm_seam::fail;
using hbm_seam::readStruct;
using hbm_seam::recordError;

/// The wl_buffer resource's reference to its Buffer's one handle: what keeps user data set
/// in the buffer-created callback until hbm_wl_compositor_buffer_from_resource() (wlroots
/// hands out one wlr_buffer per client buffer the same way).
struct ResourceHandle {
	wl_listener destroyed;
	hbm_buffer *handle;
};

void onResourceDestroyed(wl_listener *listener, void *)
{
	ResourceHandle *held = wl_container_of(listener, held, destroyed);
	wl_list_remove(&held->destroyed.link);
	hbm_buffer_unref(held->handle);
	delete held;
}

/// The one handle of @b.buffer, held by its resource until the client destroys it.
hbm_buffer *holdHandle(const hbm::wayland::CreatedBuffer &b)
{
	auto *held = new ResourceHandle{{}, hbm_seam::wrapBuffer(b.buffer)};
	held->destroyed.notify = onResourceDestroyed;
	wl_resource_add_destroy_listener(b.resource, &held->destroyed);
	return held->handle;
}

} // namespace

extern "C" {

int hbm_wl_compositor_feedback_create(const struct hbm_wl_compositor_feedback_options *options,
				      struct hbm_wl_compositor_feedback **out)
{
	static const char *const function = "hbm_wl_compositor_feedback_create";
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	hbm_wl_compositor_feedback_options o;
	if (int err = readStruct(function, options, &o))
		return err;
	const hbm::Participant *renderer = hbm_seam::participantOf(o.renderer);
	if (!renderer)
		return fail(EINVAL, "%s: renderer must not be NULL", function);
	if (o.scanout_plane_count && !o.scanout_planes)
		return fail(EINVAL, "%s: scanout_planes is NULL with a count of %u", function, o.scanout_plane_count);
	std::vector<hbm::Participant> planes;
	for (uint32_t i = 0; i < o.scanout_plane_count; ++i) {
		const hbm::Participant *p = hbm_seam::participantOf(o.scanout_planes[i]);
		if (!p)
			return fail(EINVAL, "%s: scanout_planes[%u] is NULL", function, i);
		planes.push_back(*p);
	}
	auto feedback = hbm::wayland::Feedback::fromParticipants(*renderer, planes, dev_t(o.main_device));
	if (!feedback)
		return recordError(feedback.error());
	*out = new hbm_wl_compositor_feedback{std::move(*feedback)};
	return 0;
}

void hbm_wl_compositor_feedback_destroy(struct hbm_wl_compositor_feedback *feedback)
{
	delete feedback;
}

uint64_t hbm_wl_compositor_feedback_get_main_device(const struct hbm_wl_compositor_feedback *feedback)
{
	return feedback ? uint64_t(feedback->feedback.mainDevice()) : 0;
}

uint32_t hbm_wl_compositor_feedback_get_table_size(const struct hbm_wl_compositor_feedback *feedback)
{
	return feedback ? uint32_t(feedback->feedback.formatTable().size()) : 0;
}

int hbm_wl_compositor_feedback_get_table_entry(const struct hbm_wl_compositor_feedback *feedback, uint32_t index,
					       uint32_t *format, uint64_t *modifier)
{
	static const char *const function = "hbm_wl_compositor_feedback_get_table_entry";
	if (!feedback)
		return fail(EINVAL, "%s: feedback is NULL", function);
	const auto table = feedback->feedback.formatTable();
	if (index >= table.size())
		return fail(ERANGE, "%s: index %u is past the table's %zu entries", function, index, table.size());
	if (format)
		*format = table[index].format;
	if (modifier)
		*modifier = table[index].modifier;
	return 0;
}

uint32_t hbm_wl_compositor_feedback_get_tranche_count(const struct hbm_wl_compositor_feedback *feedback)
{
	return feedback ? uint32_t(feedback->feedback.tranches().size()) : 0;
}

int hbm_wl_compositor_dmabuf_create(struct wl_display *display, const struct hbm_wl_compositor_dmabuf_options *options,
				    struct hbm_wl_compositor_dmabuf **out)
{
	static const char *const function = "hbm_wl_compositor_dmabuf_create";
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	hbm_wl_compositor_dmabuf_options o;
	if (int err = readStruct(function, options, &o))
		return err;
	if (!o.feedback)
		return fail(EINVAL, "%s: feedback must not be NULL", function);
	hbm::wayland::LinuxDmabufOptions cpp;
	cpp.version = o.version ? o.version : 4;
	cpp.feedback = o.feedback->feedback;
	// Every buffer's handle is held by its resource, called back or not: the handle
	// hbm_wl_compositor_buffer_from_resource() returns is then always the same one.
	cpp.bufferCreated = [func = o.buffer_created, userData = o.user_data](const hbm::wayland::CreatedBuffer &b) {
		hbm_buffer *handle = holdHandle(b);
		if (func)
			func(b.resource, handle, b.flags, userData);
	};
	auto dmabuf = hbm::wayland::LinuxDmabuf::create(display, std::move(cpp));
	if (!dmabuf)
		return recordError(dmabuf.error());
	*out = new hbm_wl_compositor_dmabuf{std::move(*dmabuf)};
	return 0;
}

void hbm_wl_compositor_dmabuf_destroy(struct hbm_wl_compositor_dmabuf *dmabuf)
{
	delete dmabuf;
}

int hbm_wl_compositor_dmabuf_set_surface_feedback(struct hbm_wl_compositor_dmabuf *dmabuf, struct wl_resource *surface,
						  const struct hbm_wl_compositor_feedback *feedback)
{
	if (!dmabuf)
		return fail(EINVAL, "hbm_wl_compositor_dmabuf_set_surface_feedback: dmabuf is NULL");
	std::optional<hbm::wayland::Feedback> f;
	if (feedback)
		f = feedback->feedback;
	if (auto ok = dmabuf->dmabuf->setSurfaceFeedback(surface, std::move(f)); !ok)
		return recordError(ok.error());
	return 0;
}

struct hbm_buffer *hbm_wl_compositor_buffer_from_resource(struct wl_resource *buffer)
{
	auto b = hbm::wayland::LinuxDmabuf::bufferOf(buffer);
	return b ? hbm_seam::wrapBuffer(std::move(b)) : nullptr;
}

} // extern "C"
