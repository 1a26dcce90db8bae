// SPDX-License-Identifier: MIT
// zwp_linux_dmabuf_v1 for a compositor (versions 1 to 4). The params checks that are about
// the protocol's own state (plane indices, used twice, missing planes, modifiers that
// differ between planes, pairs not advertised) are here; everything about the layout is
// Buffer::import()'s, whose fault is mapped to the protocol error below (faultToError).
// Compared with wlroots 0.15 types/wlr_linux_dmabuf_v1.c and Weston 10 linux-dmabuf.c.
#include <hbm/wayland/compositor.hpp>

#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include <hbm/format.hpp>

#include "log.hpp"
#include "compositor_private.hpp"
#include "linux-dmabuf-unstable-v1-server-protocol.h"

namespace hbm::wayland {

namespace {

hbm_seam::LogCategory logServer("wayland-server");


constexpr uint32_t kMaxVersion = 4;
constexpr uint32_t kMaxPlanes = 4;

struct ParamsPlane {
	UniqueFd fd;
	uint32_t offset = 0;
	uint32_t stride = 0;
	uint64_t modifier = 0;
};

/// What linux-dmabuf answers for a layout Buffer::import() refused: a fatal protocol error,
/// or std::nullopt for "the server could not import it" (`failed` for create,
/// INVALID_WL_BUFFER for create_immed) — what the protocol keeps for failures a client
/// cannot be blamed for or that have no code of their own.
std::optional<uint32_t> faultToError(const Error &error)
{
	if (!error.importFault)
		return std::nullopt;
	switch (error.importFault->kind) {
	case ImportFaultKind::UnknownFormat:
	case ImportFaultKind::UnknownModifier:
		return ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT;
	case ImportFaultKind::BadDimensions:
		return ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS;
	case ImportFaultKind::WrongPlaneCount:
		return ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE;
	case ImportFaultKind::StrideBelowRow: // "bad offset or stride"
	case ImportFaultKind::PlaneOverflows:
	case ImportFaultKind::PlanePastEnd:
		return ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS;
	case ImportFaultKind::FdNotOpen:  // cannot happen: libwayland gave us the fd
	case ImportFaultKind::NotDmaBuf:  // no code of its own (wlroots, Weston: import fails)
	case ImportFaultKind::PlanesSplit: // a driver's rule, not the protocol's
	case ImportFaultKind::SystemCall:
		return std::nullopt;
	}
	return std::nullopt;
}

/// The sentence of the protocol error for a layout Buffer::import() refused: import's own,
/// except that bad dimensions name the width and height the client sent. create() hands
/// import 0 for a non-positive size, so that the one dimension rule stays import's; the
/// client must still read its own -5, not that 0. Rendered from the fault's values, in
/// import's words, rather than by editing import's sentence.
std::string protocolMessage(const Error &error, int32_t width, int32_t height)
{
	if (!error.importFault || error.importFault->kind != ImportFaultKind::BadDimensions)
		return error.message;
	const ImportFault &f = *error.importFault;
	const FormatInfo *info = findFormat(f.format);
	return "import of " + std::to_string(width) + "x" + std::to_string(height) + " " + (info ? info->name : "") +
	       ": width and height must be 1 to " + std::to_string(f.limit);
}

} // namespace

// Hidden: the class is exported, its insides are not.
struct __attribute__((visibility("hidden"))) LinuxDmabuf::Private {
	struct Surface {
		Private *owner = nullptr;
		wl_resource *surface = nullptr;
		std::optional<Feedback> feedback;
		std::vector<wl_resource *> feedbackResources;
		wl_listener destroyed{};
	};
	struct Params {
		Private *owner = nullptr;
		std::array<ParamsPlane, kMaxPlanes> planes;
		std::array<bool, kMaxPlanes> set{};
		bool used = false;
	};

	wl_display *display = nullptr;
	wl_global *global = nullptr;
	LinuxDmabufOptions options;
	wl_listener displayDestroyed{};
	std::map<wl_resource *, std::unique_ptr<Surface>> surfaces;
	std::vector<Params *> params;           ///< live params objects, made inert when we go
	std::vector<wl_resource *> dmabufs;     ///< bound zwp_linux_dmabuf_v1 resources

	~Private();
	static void bind(wl_client *client, void *data, uint32_t version, uint32_t id);
	void sendFeedback(wl_resource *resource, const Feedback &feedback);
	Surface &surfaceState(wl_resource *surface);
	/// Whether some feedback offers the pair: the default, or a surface's own (a client
	/// following its surface's feedback must not be refused what it was told).
	bool advertised(uint32_t format, uint64_t modifier) const
	{
		if (options.feedback.formats().contains(format, modifier))
			return true;
		for (const auto &[surface, s] : surfaces)
			if (s->feedback && s->feedback->formats().contains(format, modifier))
				return true;
		return false;
	}
	void create(wl_resource *paramsResource, Params &p, uint32_t bufferId, int32_t width, int32_t height,
		    uint32_t format, uint32_t flags);
};

namespace {

struct BufferHolder {
	std::shared_ptr<Buffer> buffer;
};

void bufferDestroy(wl_client *, wl_resource *resource)
{
	wl_resource_destroy(resource);
}

const struct wl_buffer_interface kBufferImpl = {.destroy = bufferDestroy};

void bufferResourceDestroyed(wl_resource *resource)
{
	delete static_cast<BufferHolder *>(wl_resource_get_user_data(resource));
}

std::string hex(uint32_t value)
{
	char text[16];
	std::snprintf(text, sizeof(text), "%x", value);
	return text;
}

void postError(wl_resource *resource, uint32_t code, const std::string &message)
{
	// Every protocol error is the compositor's log's too: the client is disconnected by it.
	HBM_LOG(logServer, Debug, "protocol error %u to %s@%u (client %p): %s", code, wl_resource_get_class(resource),
		wl_resource_get_id(resource), static_cast<void *>(wl_resource_get_client(resource)), message.c_str());
	wl_resource_post_error(resource, code, "%s", message.c_str());
}

// zwp_linux_dmabuf_feedback_v1: only destroy.
void feedbackDestroy(wl_client *, wl_resource *resource)
{
	wl_resource_destroy(resource);
}
const struct zwp_linux_dmabuf_feedback_v1_interface kFeedbackImpl = {.destroy = feedbackDestroy};

using Private = LinuxDmabuf::Private;

Private::Params *paramsOf(wl_resource *resource)
{
	return static_cast<Private::Params *>(wl_resource_get_user_data(resource));
}

void paramsDestroy(wl_client *, wl_resource *resource)
{
	wl_resource_destroy(resource);
}

void paramsResourceDestroyed(wl_resource *resource)
{
	Private::Params *p = paramsOf(resource);
	if (p->owner)
		std::erase(p->owner->params, p);
	delete p; // closes every fd still held
}

void paramsAdd(wl_client *, wl_resource *resource, int32_t rawFd, uint32_t planeIdx, uint32_t offset,
	       uint32_t stride, uint32_t modifierHi, uint32_t modifierLo)
{
	UniqueFd fd(rawFd); // ours from here: every error path closes it
	Private::Params &p = *paramsOf(resource);
	if (p.used)
		return postError(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
				 "params were already used to create a wl_buffer");
	if (planeIdx >= kMaxPlanes)
		return postError(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX,
				 "plane index " + std::to_string(planeIdx) + " is past the last (" +
					 std::to_string(kMaxPlanes - 1) + ")");
	if (p.set[planeIdx])
		return postError(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET,
				 "plane " + std::to_string(planeIdx) + " was already set");
	const uint64_t modifier = (uint64_t(modifierHi) << 32) | modifierLo;
	// One buffer, one modifier (wlroots 0.15 checks the same).
	for (uint32_t i = 0; i < kMaxPlanes; ++i)
		if (p.set[i] && p.planes[i].modifier != modifier)
			return postError(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
					 "plane " + std::to_string(planeIdx) + " has modifier " + modifierName(modifier) +
						 ", plane " + std::to_string(i) + " has " + modifierName(p.planes[i].modifier));
	p.planes[planeIdx] = {std::move(fd), offset, stride, modifier};
	p.set[planeIdx] = true;
}

void paramsCreate(wl_client *, wl_resource *resource, int32_t width, int32_t height, uint32_t format,
		  uint32_t flags)
{
	Private::Params &p = *paramsOf(resource);
	if (!p.owner) // the global is gone: nothing can be made any more
		return zwp_linux_buffer_params_v1_send_failed(resource);
	p.owner->create(resource, p, 0, width, height, format, flags);
}

void paramsCreateImmed(wl_client *, wl_resource *resource, uint32_t bufferId, int32_t width, int32_t height,
		       uint32_t format, uint32_t flags)
{
	Private::Params &p = *paramsOf(resource);
	if (!p.owner)
		return postError(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
				 "the linux-dmabuf global is gone");
	p.owner->create(resource, p, bufferId, width, height, format, flags);
}

const struct zwp_linux_buffer_params_v1_interface kParamsImpl = {
	.destroy = paramsDestroy,
	.add = paramsAdd,
	.create = paramsCreate,
	.create_immed = paramsCreateImmed,
};

Private *dmabufOwner(wl_resource *resource)
{
	return static_cast<Private *>(wl_resource_get_user_data(resource));
}

void dmabufDestroy(wl_client *, wl_resource *resource)
{
	wl_resource_destroy(resource);
}

void dmabufResourceDestroyed(wl_resource *resource)
{
	if (Private *owner = dmabufOwner(resource))
		std::erase(owner->dmabufs, resource);
}

void dmabufCreateParams(wl_client *client, wl_resource *resource, uint32_t id)
{
	wl_resource *params = wl_resource_create(client, &zwp_linux_buffer_params_v1_interface,
						 wl_resource_get_version(resource), id);
	if (!params)
		return wl_client_post_no_memory(client);
	auto *p = new Private::Params;
	p->owner = dmabufOwner(resource);
	if (p->owner)
		p->owner->params.push_back(p);
	wl_resource_set_implementation(params, &kParamsImpl, p, paramsResourceDestroyed);
}

void surfaceFeedbackDestroyed(wl_resource *resource)
{
	auto *s = static_cast<Private::Surface *>(wl_resource_get_user_data(resource));
	if (s)
		std::erase(s->feedbackResources, resource);
}

void dmabufGetDefaultFeedback(wl_client *client, wl_resource *resource, uint32_t id)
{
	wl_resource *feedback = wl_resource_create(client, &zwp_linux_dmabuf_feedback_v1_interface,
						   wl_resource_get_version(resource), id);
	if (!feedback)
		return wl_client_post_no_memory(client);
	wl_resource_set_implementation(feedback, &kFeedbackImpl, nullptr, nullptr);
	if (Private *owner = dmabufOwner(resource))
		owner->sendFeedback(feedback, owner->options.feedback);
}

void dmabufGetSurfaceFeedback(wl_client *client, wl_resource *resource, uint32_t id, wl_resource *surface)
{
	wl_resource *feedback = wl_resource_create(client, &zwp_linux_dmabuf_feedback_v1_interface,
						   wl_resource_get_version(resource), id);
	if (!feedback)
		return wl_client_post_no_memory(client);
	Private *owner = dmabufOwner(resource);
	if (!owner) {
		wl_resource_set_implementation(feedback, &kFeedbackImpl, nullptr, nullptr);
		return;
	}
	Private::Surface &s = owner->surfaceState(surface);
	s.feedbackResources.push_back(feedback);
	wl_resource_set_implementation(feedback, &kFeedbackImpl, &s, surfaceFeedbackDestroyed);
	owner->sendFeedback(feedback, s.feedback ? *s.feedback : owner->options.feedback);
}

const struct zwp_linux_dmabuf_v1_interface kDmabufImpl = {
	.destroy = dmabufDestroy,
	.create_params = dmabufCreateParams,
	.get_default_feedback = dmabufGetDefaultFeedback,
	.get_surface_feedback = dmabufGetSurfaceFeedback,
};

void sendDevice(wl_resource *resource, dev_t device,
		void (*send)(wl_resource *, wl_array *))
{
	wl_array array;
	wl_array_init(&array);
	if (auto *d = static_cast<dev_t *>(wl_array_add(&array, sizeof(dev_t))))
		*d = device;
	send(resource, &array);
	wl_array_release(&array);
}

} // namespace

void Private::bind(wl_client *client, void *data, uint32_t version, uint32_t id)
{
	auto *self = static_cast<Private *>(data);
	wl_resource *resource = wl_resource_create(client, &zwp_linux_dmabuf_v1_interface, int(version), id);
	if (!resource)
		return wl_client_post_no_memory(client);
	wl_resource_set_implementation(resource, &kDmabufImpl, self, dmabufResourceDestroyed);
	self->dmabufs.push_back(resource);
	// Before 4 the formats are events on the global; from 4 they are feedback only.
	if (version >= ZWP_LINUX_DMABUF_V1_GET_DEFAULT_FEEDBACK_SINCE_VERSION)
		return;
	for (const FormatSet::Entry &e : self->options.feedback.formats().entries()) {
		zwp_linux_dmabuf_v1_send_format(resource, e.format);
		if (version >= ZWP_LINUX_DMABUF_V1_MODIFIER_SINCE_VERSION)
			for (uint64_t modifier : e.modifiers)
				zwp_linux_dmabuf_v1_send_modifier(resource, e.format, uint32_t(modifier >> 32),
								  uint32_t(modifier & 0xffffffffu));
	}
}

void Private::sendFeedback(wl_resource *resource, const Feedback &feedback)
{
	zwp_linux_dmabuf_feedback_v1_send_format_table(resource, feedback.formatTableFd(),
						       uint32_t(feedback.formatTableSize()));
	sendDevice(resource, feedback.mainDevice(), zwp_linux_dmabuf_feedback_v1_send_main_device);
	for (const FeedbackTranche &t : feedback.tranches()) {
		sendDevice(resource, t.targetDevice, zwp_linux_dmabuf_feedback_v1_send_tranche_target_device);
		wl_array indices;
		wl_array_init(&indices);
		if (void *to = wl_array_add(&indices, t.indices.size() * sizeof(uint16_t)))
			std::memcpy(to, t.indices.data(), t.indices.size() * sizeof(uint16_t));
		zwp_linux_dmabuf_feedback_v1_send_tranche_formats(resource, &indices);
		wl_array_release(&indices);
		zwp_linux_dmabuf_feedback_v1_send_tranche_flags(
			resource, t.scanout ? ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT : 0);
		zwp_linux_dmabuf_feedback_v1_send_tranche_done(resource);
	}
	zwp_linux_dmabuf_feedback_v1_send_done(resource);
}

Private::Surface &Private::surfaceState(wl_resource *surface)
{
	auto &slot = surfaces[surface];
	if (!slot) {
		slot = std::make_unique<Surface>();
		slot->owner = this;
		slot->surface = surface;
		// The surface's feedback objects become inert when it goes (the protocol text).
		slot->destroyed.notify = [](wl_listener *listener, void *) {
			Surface *s = wl_container_of(listener, s, destroyed);
			wl_list_remove(&s->destroyed.link);
			for (wl_resource *r : s->feedbackResources)
				wl_resource_set_user_data(r, nullptr);
			s->owner->surfaces.erase(s->surface); // frees s
		};
		wl_resource_add_destroy_listener(surface, &slot->destroyed);
	}
	return *slot;
}

void Private::create(wl_resource *paramsResource, Params &p, uint32_t bufferId, int32_t width, int32_t height,
		     uint32_t format, uint32_t flags)
{
	const bool immed = bufferId != 0;
	if (p.used)
		return postError(paramsResource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
				 "params were already used to create a wl_buffer");
	p.used = true;
	// Whatever happens next, the params' fds are not needed after this request: the
	// Buffer holds its own duplicates.
	std::array<ParamsPlane, kMaxPlanes> planes = std::move(p.planes);
	p.planes = {};

	// Planes 0..n-1, no gap: the protocol's "consecutive plane indices".
	uint32_t n = 0;
	while (n < kMaxPlanes && p.set[n])
		++n;
	for (uint32_t i = n; i < kMaxPlanes; ++i)
		if (p.set[i])
			return postError(paramsResource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
					 "plane " + std::to_string(n) + " is missing (plane " + std::to_string(i) + " is set)");
	if (n == 0)
		return postError(paramsResource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE, "no plane was added");

	// A refusal that is no client bug with a code of its own gets the protocol's failure
	// path: `failed` for create, INVALID_WL_BUFFER for create_immed.
	auto failed = [&](const std::string &why) {
		if (immed)
			return postError(paramsResource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER, why);
		HBM_LOG(logServer, Debug, "failed sent for zwp_linux_buffer_params_v1@%u: %s",
			wl_resource_get_id(paramsResource), why.c_str());
		zwp_linux_buffer_params_v1_send_failed(paramsResource);
	};

	const uint64_t modifier = planes[0].modifier;
	if (!advertised(format, modifier)) {
		const std::string why = "format " + formatName(format) + " with modifier " + modifierName(modifier) +
					" was not advertised";
		// Decided here, by version. 1 and 2: `failed`, as clients that were sent formats but
		// never a modifier are not to blame for one. 4: fatal, as `add` says ("Starting from
		// version 4, the invalid_format protocol error is sent if the format + modifier pair
		// was not advertised as supported"). 3: fatal too, resting on the `modifier` event
		// (since 3): "A roundtrip after binding guarantees that the client has received all
		// supported format-modifier pairs." Any other pair is then a "bad format" argument
		// error, which `create` and `create_immed` let be INVALID_FORMAT, not one of the
		// "import errors in the server that are not obvious client bugs". `add`'s sentence
		// makes the error mandatory from 4; it does not forbid it at 3.
		if (wl_resource_get_version(paramsResource) >= ZWP_LINUX_DMABUF_V1_MODIFIER_SINCE_VERSION)
			return postError(paramsResource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT, why);
		return failed(why);
	}

	// Bits the protocol does not define are a client bug (wlroots 0.15 answers the same).
	constexpr uint32_t kKnownFlags = BufferFlagYInvert | BufferFlagInterlaced | BufferFlagBottomFirst;
	if (flags & ~kKnownFlags)
		return postError(paramsResource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
				 "unknown flags 0x" + hex(flags & ~kKnownFlags));

	// Non-positive sizes become values import refuses as bad dimensions (no second check;
	// protocolMessage() puts the client's own values back into the sentence).
	ImportDesc desc;
	desc.width = width > 0 ? uint32_t(width) : 0;
	desc.height = height > 0 ? uint32_t(height) : 0;
	desc.format = format;
	desc.modifier = modifier;
	for (uint32_t i = 0; i < n; ++i)
		desc.planes.push_back({planes[i].fd.get(), planes[i].offset, planes[i].stride});
	auto buffer = Buffer::import(desc);
	if (!buffer) {
		if (auto code = faultToError(buffer.error()))
			return postError(paramsResource, *code, protocolMessage(buffer.error(), width, height));
		return failed(buffer.error().message);
	}
	// Interlaced content is not something hbm's users composite (wlroots 0.15 refuses every
	// flag; Weston's GL renderer refuses interlaced): only y_invert is taken.
	if (flags & ~uint32_t(BufferFlagYInvert))
		return failed("flags 0x" + hex(flags) + " are not supported (only y_invert)");

	wl_client *client = wl_resource_get_client(paramsResource);
	wl_resource *wlBuffer = wl_resource_create(client, &wl_buffer_interface, 1, bufferId);
	if (!wlBuffer)
		return wl_client_post_no_memory(client);
	auto *holder = new BufferHolder{*buffer};
	wl_resource_set_implementation(wlBuffer, &kBufferImpl, holder, bufferResourceDestroyed);
	if (!immed)
		zwp_linux_buffer_params_v1_send_created(paramsResource, wlBuffer);
	if (options.bufferCreated)
		options.bufferCreated(CreatedBuffer{wlBuffer, holder->buffer, flags});
}

Private::~Private()
{
	for (Params *p : params)
		p->owner = nullptr;
	for (wl_resource *r : dmabufs)
		wl_resource_set_user_data(r, nullptr);
	for (auto &[surface, s] : surfaces) {
		wl_list_remove(&s->destroyed.link);
		for (wl_resource *r : s->feedbackResources)
			wl_resource_set_user_data(r, nullptr);
	}
	if (global)
		wl_global_destroy(global);
	if (display)
		wl_list_remove(&displayDestroyed.link);
}

Result<std::unique_ptr<LinuxDmabuf>> LinuxDmabuf::create(wl_display *display, LinuxDmabufOptions options)
{
	if (!display)
		return detail::error(EINVAL, "linux-dmabuf: the wl_display is null");
	if (options.version < 1 || options.version > kMaxVersion)
		return detail::error(EINVAL, "linux-dmabuf: version " + std::to_string(options.version) +
						     " is not 1 to " + std::to_string(kMaxVersion));
	if (options.feedback.empty())
		return detail::error(EINVAL, "linux-dmabuf: no feedback (Feedback::fromParticipants() makes it)");
	auto p = std::make_unique<Private>();
	p->display = display;
	p->options = std::move(options);
	p->global = wl_global_create(display, &zwp_linux_dmabuf_v1_interface, int(p->options.version), p.get(),
				     Private::bind);
	if (!p->global)
		return detail::error(ENOMEM, "linux-dmabuf: wl_global_create failed");
	// wl_display_destroy() destroys globals itself: forget ours then.
	p->displayDestroyed.notify = [](wl_listener *listener, void *) {
		Private *self = wl_container_of(listener, self, displayDestroyed);
		wl_list_remove(&self->displayDestroyed.link);
		self->display = nullptr;
		self->global = nullptr;
	};
	wl_display_add_destroy_listener(display, &p->displayDestroyed);
	return std::unique_ptr<LinuxDmabuf>(new LinuxDmabuf(std::move(p)));
}

LinuxDmabuf::LinuxDmabuf(std::unique_ptr<Private> p) : p_(std::move(p)) {}

LinuxDmabuf::~LinuxDmabuf() = default;

Result<void> LinuxDmabuf::setSurfaceFeedback(wl_resource *surface, std::optional<Feedback> feedback)
{
	// The surface's implementation is the compositor's: compare the interface by name.
	if (!surface || std::string(wl_resource_get_class(surface)) != wl_surface_interface.name)
		return detail::error(EINVAL, "setSurfaceFeedback: the resource is not a wl_surface");
	if (feedback && feedback->empty())
		return detail::error(EINVAL, "setSurfaceFeedback: empty feedback (use std::nullopt for the default)");
	Private::Surface &s = p_->surfaceState(surface);
	s.feedback = std::move(feedback);
	for (wl_resource *r : s.feedbackResources)
		p_->sendFeedback(r, s.feedback ? *s.feedback : p_->options.feedback);
	return {};
}

std::shared_ptr<Buffer> LinuxDmabuf::bufferOf(wl_resource *buffer)
{
	if (!buffer || !wl_resource_instance_of(buffer, &wl_buffer_interface, &kBufferImpl))
		return nullptr;
	return static_cast<BufferHolder *>(wl_resource_get_user_data(buffer))->buffer;
}

} // namespace hbm::wayland
