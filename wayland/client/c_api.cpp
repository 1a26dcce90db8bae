// SPDX-License-Identifier: MIT
// hbm-wayland-client.h: the C ABI over DmabufClient. hbm.h's convention is kept by libhbm's
// own helpers (src/seam/c_interop.hpp): the struct reader and writer, the request reader, the
// error recorder and the one handle per Buffer.
#include <hbm/hbm-wayland-client.h>

#include <cerrno>
#include <string>

#include <wayland-client.h>

#include "c_interop.hpp"
#include <hbm/wayland/allocator_client.hpp>
#include <hbm/wayland/client.hpp>

using namespace hbm;
using namespace hbm::wayland;

struct hbm_wl_client {
	std::unique_ptr<DmabufClient> client;
	hbm_wl_client_feedback_func func = nullptr;
	void *userData = nullptr;
};

HBM_C_STRUCT(hbm_wl_client_options, HBM_WL_CLIENT_OPTIONS_SIZE_V1)
HBM_C_STRUCT(hbm_wl_feedback_info, HBM_WL_FEEDBACK_INFO_SIZE_V1)
HBM_C_STRUCT(hbm_wl_tranche_info, HBM_WL_TRANCHE_INFO_SIZE_V1)
HBM_C_STRUCT(hbm_wl_buffer_options, HBM_WL_BUFFER_OPTIONS_SIZE_V1)
HBM_C_STRUCT(hbm_wl_allocate_options, HBM_WL_ALLOCATE_OPTIONS_SIZE_V1)
HBM_C_STRUCT(hbm_wl_allocation_info, HBM_WL_ALLOCATION_INFO_SIZE_V1)

struct hbm_wl_allocator {
	std::unique_ptr<AllocatorClient> allocator;
	std::string lastAllocator; ///< hbm_wl_allocation_info.allocator's storage
};

namespace {

using hbm_seam::fail;
using hbm_seam::readStruct;
using hbm_seam::recordError;
using hbm_seam::writeStruct;

const Tranche *trancheOf(const char *function, const hbm_wl_client *client, uint32_t index, int *err)
{
	if (!client) {
		*err = fail(EINVAL, "%s: client is NULL", function);
		return nullptr;
	}
	const auto &tranches = client->client->feedback().tranches;
	if (index >= tranches.size()) {
		*err = fail(ERANGE, "%s: no tranche %u (the feedback has %zu)", function, index, tranches.size());
		return nullptr;
	}
	return &tranches[index];
}

} // namespace

extern "C" {

int hbm_wl_client_create(wl_display *display, hbm_context *ctx, const hbm_wl_client_options *options,
			 hbm_wl_client **out)
{
	static const char *const function = "hbm_wl_client_create";
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	hbm_wl_client_options o;
	if (int err = readStruct(function, options, &o))
		return err;
	auto context = hbm_seam::contextOf(ctx);
	if (!context)
		return fail(EINVAL, "%s: ctx is NULL", function);
	DmabufClient::Options opts;
	opts.maxVersion = o.max_version ? o.max_version : 4;
	opts.v3MainDevice = dev_t(o.v3_main_device);
	auto client = DmabufClient::create(display, context, opts);
	if (!client)
		return recordError(client.error());
	*out = new hbm_wl_client{std::move(*client)};
	return 0;
}

void hbm_wl_client_destroy(hbm_wl_client *client)
{
	delete client;
}

int hbm_wl_client_roundtrip(hbm_wl_client *client)
{
	if (!client)
		return fail(EINVAL, "hbm_wl_client_roundtrip: client is NULL");
	auto r = client->client->roundtrip();
	return r ? 0 : recordError(r.error());
}

int hbm_wl_client_get_feedback(const hbm_wl_client *client, hbm_wl_feedback_info *out)
{
	static const char *const function = "hbm_wl_client_get_feedback";
	if (!client)
		return fail(EINVAL, "%s: client is NULL", function);
	const DmabufFeedback &f = client->client->feedback();
	hbm_wl_feedback_info info{};
	info.version = f.version;
	info.main_device = uint64_t(f.mainDevice);
	info.tranche_count = uint32_t(f.tranches.size());
	return writeStruct(function, out, info);
}

int hbm_wl_client_get_tranche(const hbm_wl_client *client, uint32_t index, hbm_wl_tranche_info *out)
{
	static const char *const function = "hbm_wl_client_get_tranche";
	int err = 0;
	const Tranche *t = trancheOf(function, client, index, &err);
	if (!t)
		return err;
	hbm_wl_tranche_info info{};
	info.flags = t->flags;
	info.target_device = uint64_t(t->targetDevice);
	for (const FormatSet::Entry &e : t->formats.entries())
		info.pair_count += uint32_t(e.modifiers.size());
	return writeStruct(function, out, info);
}

int hbm_wl_client_get_tranche_pair(const hbm_wl_client *client, uint32_t tranche, uint32_t pair, uint32_t *format,
				   uint64_t *modifier)
{
	static const char *const function = "hbm_wl_client_get_tranche_pair";
	int err = 0;
	const Tranche *t = trancheOf(function, client, tranche, &err);
	if (!t)
		return err;
	uint32_t n = pair;
	for (const FormatSet::Entry &e : t->formats.entries()) {
		if (n < e.modifiers.size()) {
			if (format)
				*format = e.format;
			if (modifier)
				*modifier = e.modifiers[n];
			return 0;
		}
		n -= uint32_t(e.modifiers.size());
	}
	return fail(ERANGE, "%s: no pair %u in tranche %u, which has %u", function, pair, tranche, pair - n);
}

int hbm_wl_client_create_participant(const hbm_wl_client *client, uint32_t tranche, hbm_participant **out)
{
	static const char *const function = "hbm_wl_client_create_participant";
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	int err = 0;
	if (!trancheOf(function, client, tranche, &err))
		return err;
	*out = hbm_seam::wrapParticipant(client->client->participants()[tranche]);
	return 0;
}

int hbm_wl_client_create_buffer(hbm_wl_client *client, const hbm_wl_buffer_options *options, hbm_buffer **out)
{
	static const char *const function = "hbm_wl_client_create_buffer";
	if (!client || !out)
		return fail(EINVAL, "%s: client and out must not be NULL", function);
	hbm_wl_buffer_options o;
	if (int err = hbm_seam::readStruct(function, options, &o))
		return err;
	Request r;
	if (int err = hbm_seam::readRequest(function, o.request, &r))
		return err;
	std::vector<Participant> participants;
	if (int err = hbm_seam::readParticipants(function, o.participants, o.participant_count,
						 &participants))
		return err;
	auto buffer = client->client->allocate(r, participants);
	if (!buffer)
		return recordError(buffer.error());
	*out = hbm_seam::wrapBuffer(std::move(*buffer));
	return 0;
}

int hbm_wl_client_check_buffer(const hbm_wl_client *client, hbm_buffer *buffer)
{
	auto b = hbm_seam::bufferOf(buffer);
	if (!client || !b)
		return fail(EINVAL, "hbm_wl_client_check_buffer: client and buffer must not be NULL");
	auto ok = client->client->acceptable(*b);
	return ok ? 0 : recordError(ok.error());
}

int hbm_wl_client_get_wl_buffer(hbm_wl_client *client, hbm_buffer *buffer, uint32_t flags, wl_buffer **out)
{
	static const char *const function = "hbm_wl_client_get_wl_buffer";
	auto b = hbm_seam::bufferOf(buffer);
	if (!client || !b || !out)
		return fail(EINVAL, "%s: client, buffer and out must not be NULL", function);
	if (flags & ~uint32_t(HBM_WL_BUFFER_ASYNC))
		return fail(EINVAL, "%s: unknown flags 0x%x", function, flags);
	auto made = client->client->wlBuffer(b, !(flags & HBM_WL_BUFFER_ASYNC));
	if (!made)
		return recordError(made.error());
	*out = *made;
	return 0;
}

uint64_t hbm_wl_client_get_wl_buffers_created(const hbm_wl_client *client)
{
	return client ? client->client->wlBuffersCreated() : 0;
}

int hbm_wl_client_set_feedback_listener(hbm_wl_client *client, hbm_wl_client_feedback_func func, void *user_data)
{
	if (!client)
		return fail(EINVAL, "hbm_wl_client_set_feedback_listener: client is NULL");
	client->func = func;
	client->userData = user_data;
	if (!func) {
		client->client->setFeedbackListener({});
		return 0;
	}
	client->client->setFeedbackListener([client](const Result<DmabufFeedback> &f) {
		client->func(client, f ? 0 : recordError(f.error()), client->userData);
	});
	return 0;
}

int hbm_wl_allocator_create(wl_display *display, hbm_wl_allocator **out)
{
	static const char *const function = "hbm_wl_allocator_create";
	if (!display || !out)
		return fail(EINVAL, "%s: display and out must not be NULL", function);
	auto allocator = AllocatorClient::create(display);
	if (!allocator)
		return recordError(allocator.error());
	*out = new hbm_wl_allocator{std::move(*allocator), {}};
	return 0;
}

void hbm_wl_allocator_destroy(hbm_wl_allocator *allocator)
{
	delete allocator;
}

int hbm_wl_allocator_allocate(hbm_wl_allocator *allocator, const hbm_wl_allocate_options *options,
			      hbm_wl_allocation_info *info, hbm_buffer **buffers, uint32_t capacity)
{
	static const char *const function = "hbm_wl_allocator_allocate";
	if (!allocator)
		return fail(EINVAL, "%s: allocator is NULL", function);
	hbm_wl_allocate_options o;
	if (int err = readStruct(function, options, &o))
		return err;
	Request r;
	if (int err = hbm_seam::readRequest(function, o.request, &r))
		return err;
	if (o.flags & ~uint32_t(HBM_WL_ALLOCATE_DRY_RUN))
		return fail(EINVAL, "%s: flags 0x%x has bits hbm_wl_allocate_flags does not define", function, o.flags);
	AllocatorClient::Options ask;
	ask.count = o.count ? o.count : 1;
	ask.surface = o.surface;
	ask.dryRun = o.flags & HBM_WL_ALLOCATE_DRY_RUN;
	const uint32_t wanted = ask.dryRun ? 0 : ask.count;
	if (wanted > capacity || (wanted && !buffers))
		return fail(EINVAL, "%s: room for %u buffers at %p, %u asked for", function, capacity,
			    static_cast<void *>(buffers), wanted);
	auto answer = allocator->allocator->allocate(r, ask);
	if (!answer)
		return recordError(answer.error());
	allocator->lastAllocator = answer->choice.allocator;
	if (info) {
		hbm_wl_allocation_info full{};
		full.size = sizeof full;
		full.format = answer->choice.format;
		full.modifier = answer->choice.modifier;
		full.allocator = allocator->lastAllocator.c_str();
		if (int err = writeStruct(function, info, full))
			return err; // the buffers go back with @answer
	}
	for (size_t i = 0; i < answer->buffers.size(); ++i)
		buffers[i] = hbm_seam::wrapBuffer(std::move(answer->buffers[i]));
	return int(answer->buffers.size());
}

uint32_t hbm_wl_allocator_get_held(const hbm_wl_allocator *allocator)
{
	return allocator ? uint32_t(allocator->allocator->held()) : 0;
}

} // extern "C"
