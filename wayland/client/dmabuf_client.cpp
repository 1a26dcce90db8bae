// SPDX-License-Identifier: MIT
// The protocol half of the client side: binding zwp_linux_dmabuf_v1, reading feedback
// (format table, main device, tranches) defensively, and one wl_buffer per Buffer.
#include <hbm/wayland/client.hpp>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <cstring>
#include <map>

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <drm_fourcc.h>
#include <wayland-client.h>

#include "log.hpp"
#include "renderer.hpp"
#include <hbm/unique_fd.hpp>

#include "registry.hpp"
#include "linux-dmabuf-unstable-v1-client-protocol.h"

namespace hbm::wayland {

using detail::bindGlobal;
using detail::roundtripQueue;

namespace {
hbm_seam::LogCategory logClient("wayland-client");
}

using hbm_seam::findRendererQuirk;
using hbm_seam::RendererQuirk;

namespace {

/// One entry of the v4 format table, as the protocol lays it out.
struct TableEntry {
	uint32_t format;
	uint32_t padding;
	uint64_t modifier;
};
static_assert(sizeof(TableEntry) == 16);

/// DmabufFeedback as it arrives, event by event, until `done`. The first fault is kept and
/// reported at `done`; later events of the same batch are then ignored.
struct PendingFeedback {
	DmabufFeedback feedback;
	std::vector<TableEntry> table; ///< a copy: the mapping is gone once read
	bool haveTable = false;
	Tranche tranche;
	std::optional<Error> fault;

	void failWith(Error e)
	{
		if (!fault)
			fault = std::move(e);
	}
};

/// Reads a v4 format table: @size bytes of @fd (owned here, closed on every path).
Result<std::vector<TableEntry>> readFormatTable(UniqueFd fd, uint32_t size)
{
	if (size % sizeof(TableEntry))
		return Error{EPROTO, "format table of " + std::to_string(size) +
					     " bytes is not a whole number of 16-byte entries", nullptr};
	struct stat st;
	if (fstat(fd.get(), &st) != 0)
		return Error{errno, "cannot fstat the format table's fd", nullptr};
	if (st.st_size < 0 || uint64_t(st.st_size) < size)
		return Error{EPROTO, "format table announced as " + std::to_string(size) + " bytes, but its fd holds only " +
					     std::to_string(st.st_size), nullptr};
	if (size == 0)
		return std::vector<TableEntry>{};
	void *map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
	if (map == MAP_FAILED)
		return Error{errno, "cannot map the " + std::to_string(size) + "-byte format table", nullptr};
	std::vector<TableEntry> entries(size / sizeof(TableEntry));
	std::memcpy(entries.data(), map, size);
	munmap(map, size);
	return entries;
}

Result<dev_t> readDevice(const wl_array *array, const char *what)
{
	if (!array || array->size != sizeof(dev_t))
		return Error{EPROTO, std::string(what) + " is " + std::to_string(array ? array->size : 0) + " bytes, not a dev_t (" +
					     std::to_string(sizeof(dev_t)) + ")", nullptr};
	dev_t device;
	std::memcpy(&device, array->data, sizeof(device));
	return device;
}

} // namespace

/// A feedback object (default or per surface) and what it has said.
struct FeedbackState {
	DmabufClient::Private *client = nullptr;
	zwp_linux_dmabuf_feedback_v1 *proxy = nullptr;
	PendingFeedback pending;
	std::optional<Result<DmabufFeedback>> latest; ///< the last batch, whole
	DmabufClient::FeedbackListener listener;
	bool isDefault = false;
};

struct CachedBuffer {
	std::weak_ptr<Buffer> buffer;
	wl_buffer *proxy = nullptr;
};

// Hidden: the class is exported, its private half is not.
struct __attribute__((visibility("hidden"))) DmabufClient::Private {
	wl_display *display = nullptr;
	std::shared_ptr<Context> context;
	Options options;
	wl_event_queue *queue = nullptr; ///< private: binding, roundtrips, asynchronous create
	zwp_linux_dmabuf_v1 *dmabuf = nullptr;
	uint32_t version = 0;
	DmabufFeedback feedback;   ///< in force
	DmabufFeedback v3;         ///< the v3 format list as it arrives
	MainDeviceInfo main;
	std::unique_ptr<FeedbackState> defaultFeedback;
	std::vector<std::unique_ptr<FeedbackState>> surfaceFeedbacks;
	FeedbackListener listener;
	std::map<const Buffer *, CachedBuffer> buffers;
	uint64_t created = 0;

	~Private();
	dev_t assumedMainDevice() const;
	void adopt(const DmabufFeedback &f);
	void purgeExpired();
};

namespace {

void onFormat(void *data, zwp_linux_dmabuf_v1 *, uint32_t format)
{
	auto *d = static_cast<DmabufClient::Private *>(data);
	// v3 sends `modifier` for every pair; `format` (v1, v2) means implicit only.
	if (d->version < 3)
		d->v3.tranches[0].formats.add(format, DRM_FORMAT_MOD_INVALID);
}

void onModifier(void *data, zwp_linux_dmabuf_v1 *, uint32_t format, uint32_t hi, uint32_t lo)
{
	auto *d = static_cast<DmabufClient::Private *>(data);
	d->v3.tranches[0].formats.add(format, (uint64_t(hi) << 32) | lo);
}

const zwp_linux_dmabuf_v1_listener kDmabufListener = {onFormat, onModifier};

void onFeedbackDone(void *data, zwp_linux_dmabuf_feedback_v1 *)
{
	auto *s = static_cast<FeedbackState *>(data);
	PendingFeedback &p = s->pending;
	if (!p.fault && !p.feedback.mainDevice)
		p.failWith(Error{EPROTO, "feedback ended without a main_device event", nullptr});
	if (!p.fault && p.feedback.tranches.empty())
		p.failWith(Error{EPROTO, "feedback ended without a tranche", nullptr});
	Result<DmabufFeedback> result = p.fault ? Result<DmabufFeedback>(Error{p.fault->code, p.feedback.origin + ": " + p.fault->message, nullptr})
					  : Result<DmabufFeedback>(p.feedback);
	if (result)
		HBM_LOG(logClient, Debug, "%s: main device %u:%u, %zu tranches", result->origin.c_str(),
			major(result->mainDevice), minor(result->mainDevice), result->tranches.size());
	else
		HBM_LOG(logClient, Warn, "%s", result.error().message.c_str());
	// The table and main device carry over to the next batch unless it sends new ones.
	p.feedback.tranches.clear();
	p.tranche = Tranche{};
	p.fault.reset();
	if (result && s->isDefault)
		s->client->adopt(*result);
	s->latest = result;
	if (s->listener)
		s->listener(result);
}

void onFormatTable(void *data, zwp_linux_dmabuf_feedback_v1 *, int32_t fd, uint32_t size)
{
	auto *s = static_cast<FeedbackState *>(data);
	UniqueFd owned(fd);
	auto table = readFormatTable(std::move(owned), size);
	if (!table) {
		s->pending.failWith(table.error());
		s->pending.table.clear();
		s->pending.haveTable = false;
		return;
	}
	s->pending.table = std::move(*table);
	s->pending.haveTable = true;
}

void onMainDevice(void *data, zwp_linux_dmabuf_feedback_v1 *, wl_array *device)
{
	auto *s = static_cast<FeedbackState *>(data);
	auto dev = readDevice(device, "main_device");
	if (!dev)
		return s->pending.failWith(dev.error());
	s->pending.feedback.mainDevice = *dev;
}

void onTrancheDone(void *data, zwp_linux_dmabuf_feedback_v1 *)
{
	auto *s = static_cast<FeedbackState *>(data);
	s->pending.feedback.tranches.push_back(std::move(s->pending.tranche));
	s->pending.tranche = Tranche{};
}

void onTrancheTargetDevice(void *data, zwp_linux_dmabuf_feedback_v1 *, wl_array *device)
{
	auto *s = static_cast<FeedbackState *>(data);
	auto dev = readDevice(device, "tranche_target_device");
	if (!dev)
		return s->pending.failWith(dev.error());
	s->pending.tranche.targetDevice = *dev;
}

void onTrancheFormats(void *data, zwp_linux_dmabuf_feedback_v1 *, wl_array *indices)
{
	auto *s = static_cast<FeedbackState *>(data);
	PendingFeedback &p = s->pending;
	if (!p.haveTable)
		return p.failWith(Error{EPROTO, "tranche_formats before any valid format_table", nullptr});
	if (indices->size % sizeof(uint16_t))
		return p.failWith(Error{EPROTO, "tranche_formats of " + std::to_string(indices->size) +
							 " bytes is not a whole number of 16-bit indices", nullptr});
	const auto *index = static_cast<const uint16_t *>(indices->data);
	for (size_t i = 0; i < indices->size / sizeof(uint16_t); ++i) {
		if (index[i] >= p.table.size())
			return p.failWith(Error{EPROTO, "tranche_formats index " + std::to_string(index[i]) + " is outside the " +
								 std::to_string(p.table.size()) + "-entry format table", nullptr});
		p.tranche.formats.add(p.table[index[i]].format, p.table[index[i]].modifier);
	}
}

void onTrancheFlags(void *data, zwp_linux_dmabuf_feedback_v1 *, uint32_t flags)
{
	static_cast<FeedbackState *>(data)->pending.tranche.flags = flags;
}

const zwp_linux_dmabuf_feedback_v1_listener kFeedbackListener = {
	onFeedbackDone, onFormatTable, onMainDevice, onTrancheDone, onTrancheTargetDevice, onTrancheFormats, onTrancheFlags,
};

/// Reads feedback on @state's private-queue proxy until its first `done`.
Result<DmabufFeedback> awaitFeedback(wl_display *display, wl_event_queue *queue, FeedbackState &state)
{
	for (int i = 0; i < 4 && !state.latest; ++i)
		if (auto r = roundtripQueue(display, queue, "reading linux-dmabuf feedback"); !r)
			return r.error();
	if (!state.latest)
		return Error{ETIMEDOUT, "the compositor sent no complete feedback (no `done`) after 4 roundtrips", nullptr};
	return *state.latest;
}

} // namespace

DmabufClient::Private::~Private()
{
	for (auto &[key, cached] : buffers)
		wl_buffer_destroy(cached.proxy);
	for (auto &s : surfaceFeedbacks)
		zwp_linux_dmabuf_feedback_v1_destroy(s->proxy);
	if (defaultFeedback)
		zwp_linux_dmabuf_feedback_v1_destroy(defaultFeedback->proxy);
	if (dmabuf)
		zwp_linux_dmabuf_v1_destroy(dmabuf);
	if (queue)
		wl_event_queue_destroy(queue);
	if (display)
		wl_display_flush(display);
}

dev_t DmabufClient::Private::assumedMainDevice() const
{
	if (options.v3MainDevice)
		return options.v3MainDevice;
	dev_t only = 0;
	for (const AllocatorInfo &a : context->allocators()) {
		if (!a.drmDeviceId)
			continue;
		if (only && only != a.drmDeviceId)
			return 0;
		only = a.drmDeviceId;
	}
	return only;
}

void DmabufClient::Private::adopt(const DmabufFeedback &f)
{
	if (f.mainDevice != feedback.mainDevice || main.kernelDriver.empty()) {
		auto info = f.mainDevice ? lookUpDrmDevice(f.mainDevice) : Result<MainDeviceInfo>(MainDeviceInfo{});
		main = info ? *info : MainDeviceInfo{};
	}
	feedback = f;
	if (listener)
		listener(f);
}

void DmabufClient::Private::purgeExpired()
{
	for (auto it = buffers.begin(); it != buffers.end();) {
		if (it->second.buffer.expired()) {
			wl_buffer_destroy(it->second.proxy);
			it = buffers.erase(it);
		} else {
			++it;
		}
	}
}

DmabufClient::DmabufClient(std::unique_ptr<Private> d) : d_(std::move(d)) {}
DmabufClient::~DmabufClient() = default;

Result<std::unique_ptr<DmabufClient>> DmabufClient::create(wl_display *display, std::shared_ptr<Context> context)
{
	return create(display, std::move(context), Options{});
}

Result<std::unique_ptr<DmabufClient>> DmabufClient::create(wl_display *display, std::shared_ptr<Context> context,
							   const Options &options)
{
	if (!display)
		return Error{EINVAL, "DmabufClient::create: the wl_display is null", nullptr};
	if (!context)
		return Error{EINVAL, "DmabufClient::create: the Context is null", nullptr};
	if (options.maxVersion < 3)
		return Error{EINVAL, "DmabufClient::create: maxVersion " + std::to_string(options.maxVersion) +
					     " is below 3, the first version that lists modifiers", nullptr};
	auto d = std::make_unique<Private>();
	d->display = display;
	d->context = std::move(context);
	d->options = options;
	d->queue = wl_display_create_queue(display);
	if (!d->queue)
		return Error{ENOMEM, "cannot create a Wayland event queue", nullptr};

	// Version 3 is the first that lists modifiers.
	auto bound = bindGlobal(display, d->queue, &zwp_linux_dmabuf_v1_interface, 3, std::min(options.maxVersion, 4u),
				&d->version);
	if (!bound)
		return bound.error();
	d->dmabuf = reinterpret_cast<zwp_linux_dmabuf_v1 *>(*bound);

	if (d->version < 4) {
		d->v3.version = d->version;
		d->v3.origin = "v3 format list";
		d->v3.tranches.push_back(Tranche{});
		zwp_linux_dmabuf_v1_add_listener(d->dmabuf, &kDmabufListener, d.get());
		if (auto r = roundtripQueue(display, d->queue, "reading the v3 format list"); !r)
			return r.error();
		d->feedback = d->v3;
		// v3 names no device: the one taken for the renderer is looked up as v4's would be.
		if (dev_t assumed = d->assumedMainDevice())
			if (auto info = lookUpDrmDevice(assumed))
				d->main = *info;
	} else {
		d->defaultFeedback = std::make_unique<FeedbackState>();
		FeedbackState &s = *d->defaultFeedback;
		s.client = d.get();
		s.isDefault = true;
		s.pending.feedback.version = d->version;
		s.pending.feedback.origin = "default feedback";
		s.proxy = zwp_linux_dmabuf_v1_get_default_feedback(d->dmabuf);
		zwp_linux_dmabuf_feedback_v1_add_listener(s.proxy, &kFeedbackListener, &s);
		auto first = awaitFeedback(display, d->queue, s);
		if (!first)
			return first.error();
		// Later changes arrive as the application dispatches its own queue.
		wl_proxy_set_queue(reinterpret_cast<wl_proxy *>(s.proxy), nullptr);
	}
	wl_proxy_set_queue(reinterpret_cast<wl_proxy *>(d->dmabuf), nullptr);
	return std::unique_ptr<DmabufClient>(new DmabufClient(std::move(d)));
}

Result<void> DmabufClient::roundtrip()
{
	if (wl_display_roundtrip(d_->display) < 0)
		return Error{wl_display_get_error(d_->display) ? wl_display_get_error(d_->display) : EPIPE,
			     "the Wayland connection failed during a roundtrip", nullptr};
	return {};
}

uint32_t DmabufClient::version() const { return d_->version; }
const DmabufFeedback &DmabufClient::feedback() const { return d_->feedback; }
const MainDeviceInfo &DmabufClient::mainDevice() const { return d_->main; }

std::vector<Participant> DmabufClient::participants() const
{
	return participantsFor(d_->feedback, d_->main, d_->feedback.mainDevice ? 0 : d_->assumedMainDevice(),
			       &d_->context->config());
}

void DmabufClient::setFeedbackListener(FeedbackListener listener)
{
	d_->listener = std::move(listener);
	if (d_->defaultFeedback)
		d_->defaultFeedback->listener = [this](const Result<DmabufFeedback> &f) {
			// Adopted feedback reaches d_->listener through adopt(); a malformed one here.
			if (!f && d_->listener)
				d_->listener(f);
		};
}

Result<DmabufFeedback> DmabufClient::surfaceFeedback(wl_surface *surface, FeedbackListener listener)
{
	if (!surface)
		return Error{EINVAL, "surfaceFeedback: the wl_surface is null", nullptr};
	if (d_->version < 4)
		return d_->feedback;
	auto s = std::make_unique<FeedbackState>();
	s->client = d_.get();
	s->pending.feedback.version = d_->version;
	s->pending.feedback.origin = "feedback of wl_surface@" + std::to_string(wl_proxy_get_id(reinterpret_cast<wl_proxy *>(surface)));
	auto *wrapper = static_cast<zwp_linux_dmabuf_v1 *>(wl_proxy_create_wrapper(d_->dmabuf));
	if (!wrapper)
		return Error{ENOMEM, "cannot wrap zwp_linux_dmabuf_v1", nullptr};
	wl_proxy_set_queue(reinterpret_cast<wl_proxy *>(wrapper), d_->queue);
	s->proxy = zwp_linux_dmabuf_v1_get_surface_feedback(wrapper, surface);
	wl_proxy_wrapper_destroy(wrapper);
	zwp_linux_dmabuf_feedback_v1_add_listener(s->proxy, &kFeedbackListener, s.get());
	auto first = awaitFeedback(d_->display, d_->queue, *s);
	wl_proxy_set_queue(reinterpret_cast<wl_proxy *>(s->proxy), nullptr);
	s->listener = std::move(listener);
	d_->surfaceFeedbacks.push_back(std::move(s));
	return first;
}

Result<Plan> DmabufClient::negotiate(const Request &request, const std::vector<Participant> &own) const
{
	return negotiateForTranches(*d_->context, request, own, participants());
}

Result<std::shared_ptr<Buffer>> DmabufClient::allocate(const Request &request, const std::vector<Participant> &own)
{
	auto plan = negotiate(request, own);
	if (!plan)
		return plan.error();
	return d_->context->allocate(*plan);
}

Result<void> DmabufClient::acceptable(const Buffer &buffer) const
{
	std::string why;
	std::shared_ptr<const Refusal> first;
	int code = EINVAL;
	for (const Participant &tranche : participants()) {
		auto attached = buffer.check(tranche);
		if (attached)
			return {};
		if (!first) {
			first = attached.error().refusal;
			code = attached.error().code;
		}
		why += (why.empty() ? "" : "; ") + attached.error().message;
	}
	if (why.empty())
		why = "the feedback has no tranche";
	return Error{code, "the buffer no longer suits the compositor's feedback: " + why, first};
}

namespace {

struct CreateAnswer {
	wl_buffer *buffer = nullptr;
	bool failed = false;
};

void onCreated(void *data, zwp_linux_buffer_params_v1 *, wl_buffer *buffer)
{
	static_cast<CreateAnswer *>(data)->buffer = buffer;
}

void onFailed(void *data, zwp_linux_buffer_params_v1 *)
{
	static_cast<CreateAnswer *>(data)->failed = true;
}

const zwp_linux_buffer_params_v1_listener kParamsListener = {onCreated, onFailed};

} // namespace

Result<wl_buffer *> DmabufClient::wlBuffer(const std::shared_ptr<Buffer> &buffer, bool immediate)
{
	if (!buffer)
		return Error{EINVAL, "wlBuffer: the buffer is null", nullptr};
	d_->purgeExpired();
	if (auto it = d_->buffers.find(buffer.get()); it != d_->buffers.end())
		return it->second.proxy;

	auto planes = buffer->exportPlanes();
	if (!planes)
		return planes.error();
	uint64_t modifier = buffer->modifier();
	if (modifier == DRM_FORMAT_MOD_LINEAR) {
		// A renderer whose implicit layout is linear, listing only INVALID, is sent INVALID.
		bool linearListed = false, implicitListed = false;
		for (const Tranche &t : d_->feedback.tranches) {
			linearListed |= t.formats.contains(buffer->format(), DRM_FORMAT_MOD_LINEAR);
			implicitListed |= t.formats.contains(buffer->format(), DRM_FORMAT_MOD_INVALID);
		}
		const RendererQuirk *quirk = d_->main.kernelDriver.empty() ? nullptr : findRendererQuirk(d_->main.kernelDriver, "");
		if (!linearListed && implicitListed && quirk && quirk->implicitIsLinear)
			modifier = DRM_FORMAT_MOD_INVALID;
	}

	for (size_t i = 0; i < planes->size(); ++i)
		if ((*planes)[i].offset > UINT32_MAX)
			return Error{EOVERFLOW, "plane " + std::to_string(i) + " lies at offset " + std::to_string((*planes)[i].offset) +
							 ", beyond the 32 bits linux-dmabuf can carry", nullptr};
	auto *wrapper = static_cast<zwp_linux_dmabuf_v1 *>(wl_proxy_create_wrapper(d_->dmabuf));
	if (!wrapper)
		return Error{ENOMEM, "cannot wrap zwp_linux_dmabuf_v1", nullptr};
	if (!immediate)
		wl_proxy_set_queue(reinterpret_cast<wl_proxy *>(wrapper), d_->queue);
	zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(wrapper);
	wl_proxy_wrapper_destroy(wrapper);
	for (size_t i = 0; i < planes->size(); ++i) {
		const PlaneExport &p = (*planes)[i];
		// The fd is sent at the next flush: it stays ours (and open) until then.
		zwp_linux_buffer_params_v1_add(params, p.fd.get(), uint32_t(i), uint32_t(p.offset), p.stride,
					       uint32_t(modifier >> 32), uint32_t(modifier & 0xffffffff));
	}
	wl_buffer *proxy = nullptr;
	if (immediate) {
		proxy = zwp_linux_buffer_params_v1_create_immed(params, int32_t(buffer->width()), int32_t(buffer->height()),
								buffer->format(), 0);
		wl_display_flush(d_->display);
	} else {
		CreateAnswer answer;
		zwp_linux_buffer_params_v1_add_listener(params, &kParamsListener, &answer);
		zwp_linux_buffer_params_v1_create(params, int32_t(buffer->width()), int32_t(buffer->height()), buffer->format(), 0);
		for (int i = 0; i < 4 && !answer.buffer && !answer.failed; ++i)
			if (auto r = roundtripQueue(d_->display, d_->queue, "waiting for created or failed"); !r) {
				zwp_linux_buffer_params_v1_destroy(params);
				return r.error();
			}
		if (!answer.buffer) {
			zwp_linux_buffer_params_v1_destroy(params);
			return Error{EINVAL,
				     answer.failed ? "the compositor refused the buffer (linux-dmabuf `failed` event)"
						   : "the compositor answered create with neither created nor failed",
				     nullptr};
		}
		proxy = answer.buffer;
		wl_proxy_set_queue(reinterpret_cast<wl_proxy *>(proxy), nullptr);
	}
	zwp_linux_buffer_params_v1_destroy(params);
	if (!proxy)
		return Error{ENOMEM, "create_immed made no wl_buffer", nullptr};
	d_->buffers[buffer.get()] = CachedBuffer{buffer, proxy};
	++d_->created;
	return proxy;
}

uint64_t DmabufClient::wlBuffersCreated() const
{
	return d_->created;
}

} // namespace hbm::wayland
