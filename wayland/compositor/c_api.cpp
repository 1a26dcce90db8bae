// SPDX-License-Identifier: MIT
// The C ABI of the compositor side (include/hbm/hbm-wayland-compositor.h) over the C++ one.
#include <hbm/hbm-wayland-compositor.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include <hbm/c_interop.hpp>
#include <hbm/wayland/compositor.hpp>

#include "compositor_private.hpp"

struct hbm_wl_compositor_feedback {
	hbm::wayland::Feedback feedback;
};

struct hbm_wl_compositor_dmabuf {
	std::unique_ptr<hbm::wayland::LinuxDmabuf> dmabuf;
};

namespace {

using hbm::wayland::detail::error;

/// The size rule of hbm.h: below the first version's size -EINVAL, above ours -E2BIG.
template<typename T>
int checkSize(const char *call, const T *options, size_t firstVersionSize)
{
	if (!options)
		return hbm::interop::recordError(error(EINVAL, std::string(call) + ": options must not be NULL"));
	if (options->size < firstVersionSize)
		return hbm::interop::recordError(error(EINVAL, std::string(call) + ": options size " +
								       std::to_string(options->size) + " is below " +
								       std::to_string(firstVersionSize)));
	if (options->size > sizeof(T))
		return hbm::interop::recordError(error(E2BIG, std::string(call) + ": options size " +
								      std::to_string(options->size) + " is newer than this library's " +
								      std::to_string(sizeof(T))));
	return 0;
}

/// @options copied into a zeroed struct of our size: fields past the caller's size are 0.
template<typename T>
T readOptions(const T *options)
{
	T copy;
	std::memset(&copy, 0, sizeof(copy));
	std::memcpy(&copy, options, options->size);
	return copy;
}

} // namespace

extern "C" {

int
hbm_wl_compositor_feedback_create(const struct hbm_wl_compositor_feedback_options *options,
				  struct hbm_wl_compositor_feedback **out)
{
	constexpr const char *call = "hbm_wl_compositor_feedback_create";
	if (int r = checkSize(call, options, offsetof(hbm_wl_compositor_feedback_options, main_device) + sizeof(uint64_t)))
		return r;
	if (!out)
		return hbm::interop::recordError(error(EINVAL, std::string(call) + ": out must not be NULL"));
	const auto o = readOptions(options);
	const hbm::Participant *renderer = hbm::interop::participantOf(o.renderer);
	if (!renderer)
		return hbm::interop::recordError(error(EINVAL, std::string(call) + ": renderer must not be NULL"));
	if (o.scanout_plane_count && !o.scanout_planes)
		return hbm::interop::recordError(
			error(EINVAL, std::string(call) + ": scanout_planes is NULL with a count of " +
					      std::to_string(o.scanout_plane_count)));
	std::vector<hbm::Participant> planes;
	for (uint32_t i = 0; i < o.scanout_plane_count; ++i) {
		const hbm::Participant *p = hbm::interop::participantOf(o.scanout_planes[i]);
		if (!p)
			return hbm::interop::recordError(
				error(EINVAL, std::string(call) + ": scanout_planes[" + std::to_string(i) + "] is NULL"));
		planes.push_back(*p);
	}
	auto feedback = hbm::wayland::Feedback::fromParticipants(*renderer, planes, dev_t(o.main_device));
	if (!feedback)
		return hbm::interop::recordError(feedback.error());
	*out = new hbm_wl_compositor_feedback{std::move(*feedback)};
	return 0;
}

void hbm_wl_compositor_feedback_destroy(struct hbm_wl_compositor_feedback *feedback)
{
	delete feedback;
}

dev_t
hbm_wl_compositor_feedback_get_main_device(const struct hbm_wl_compositor_feedback *feedback)
{
	return feedback ? feedback->feedback.mainDevice() : 0;
}

uint32_t
hbm_wl_compositor_feedback_get_table_size(const struct hbm_wl_compositor_feedback *feedback)
{
	return feedback ? uint32_t(feedback->feedback.formatTable().size()) : 0;
}

int
hbm_wl_compositor_feedback_get_table_entry(const struct hbm_wl_compositor_feedback *feedback, uint32_t index,
					   uint32_t *format, uint64_t *modifier)
{
	if (!feedback || !format || !modifier)
		return hbm::interop::recordError(
			error(EINVAL, "hbm_wl_compositor_feedback_get_table_entry: feedback, format and modifier must not be NULL"));
	const auto table = feedback->feedback.formatTable();
	if (index >= table.size())
		return hbm::interop::recordError(
			error(ERANGE, "hbm_wl_compositor_feedback_get_table_entry: index " + std::to_string(index) +
					      " is past the table's " + std::to_string(table.size()) + " entries"));
	*format = table[index].format;
	*modifier = table[index].modifier;
	return 0;
}

uint32_t
hbm_wl_compositor_feedback_get_tranche_count(const struct hbm_wl_compositor_feedback *feedback)
{
	return feedback ? uint32_t(feedback->feedback.tranches().size()) : 0;
}

int
hbm_wl_compositor_dmabuf_create(struct wl_display *display, const struct hbm_wl_compositor_dmabuf_options *options,
				struct hbm_wl_compositor_dmabuf **out)
{
	constexpr const char *call = "hbm_wl_compositor_dmabuf_create";
	if (int r = checkSize(call, options, offsetof(hbm_wl_compositor_dmabuf_options, user_data) + sizeof(void *)))
		return r;
	if (!out)
		return hbm::interop::recordError(error(EINVAL, std::string(call) + ": out must not be NULL"));
	const auto o = readOptions(options);
	if (!o.feedback)
		return hbm::interop::recordError(error(EINVAL, std::string(call) + ": feedback must not be NULL"));
	hbm::wayland::LinuxDmabufOptions cpp;
	cpp.version = o.version ? o.version : 4;
	cpp.feedback = o.feedback->feedback;
	if (o.buffer_created) {
		cpp.bufferCreated = [fn = o.buffer_created, data = o.user_data](const hbm::wayland::CreatedBuffer &b) {
			// A borrowed view for the call; the callee refs it to keep it.
			hbm_buffer *view = hbm::interop::wrapBuffer(b.buffer);
			fn(data, b.resource, view, b.flags);
			hbm_buffer_unref(view);
		};
	}
	auto dmabuf = hbm::wayland::LinuxDmabuf::create(display, std::move(cpp));
	if (!dmabuf)
		return hbm::interop::recordError(dmabuf.error());
	*out = new hbm_wl_compositor_dmabuf{std::move(*dmabuf)};
	return 0;
}

void hbm_wl_compositor_dmabuf_destroy(struct hbm_wl_compositor_dmabuf *dmabuf)
{
	delete dmabuf;
}

int
hbm_wl_compositor_dmabuf_set_surface_feedback(struct hbm_wl_compositor_dmabuf *dmabuf, struct wl_resource *surface,
					      const struct hbm_wl_compositor_feedback *feedback)
{
	if (!dmabuf)
		return hbm::interop::recordError(
			error(EINVAL, "hbm_wl_compositor_dmabuf_set_surface_feedback: dmabuf must not be NULL"));
	std::optional<hbm::wayland::Feedback> f;
	if (feedback)
		f = feedback->feedback;
	if (auto ok = dmabuf->dmabuf->setSurfaceFeedback(surface, std::move(f)); !ok)
		return hbm::interop::recordError(ok.error());
	return 0;
}

struct hbm_buffer *
hbm_wl_compositor_buffer_from_resource(struct wl_resource *buffer)
{
	auto b = hbm::wayland::LinuxDmabuf::bufferOf(buffer);
	return b ? hbm::interop::wrapBuffer(std::move(b)) : nullptr;
}

} // extern "C"
