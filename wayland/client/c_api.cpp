// SPDX-License-Identifier: MIT
// hbm-wayland-client.h: the C ABI over DmabufClient, through libhbm's C bridge.
#include <hbm/hbm-wayland-client.h>

#include <cerrno>
#include <cstring>

#include <wayland-client.h>

#include <hbm/c_interop.hpp>
#include <hbm/wayland/client.hpp>

using namespace hbm;
using namespace hbm::wayland;

struct hbm_wl_client {
	std::unique_ptr<DmabufClient> client;
	hbm_wl_feedback_func func = nullptr;
	void *data = nullptr;
};

namespace {

int fail(int code, const std::string &message)
{
	return interop::recordError(Error{code, message, nullptr});
}

/// hbm.h's rule for a struct a caller hands in or out: at least its first version, at most
/// what this library knows. Fields beyond @size keep their zero value.
template <typename T>
int checkSize(const T *s, size_t firstVersion, const char *what)
{
	if (!s)
		return fail(EINVAL, std::string(what) + " is NULL");
	if (s->size < firstVersion)
		return fail(EINVAL, std::string(what) + "'s size " + std::to_string(s->size) + " is below its first version (" +
					    std::to_string(firstVersion) + ")");
	if (s->size > sizeof(T))
		return fail(E2BIG, std::string(what) + "'s size " + std::to_string(s->size) +
					   " is larger than this libhbm-wayland knows (" + std::to_string(sizeof(T)) + ")");
	return 0;
}

template <typename T>
void writeOut(T *out, const T &value)
{
	std::memcpy(reinterpret_cast<char *>(out) + sizeof(uint32_t), reinterpret_cast<const char *>(&value) + sizeof(uint32_t),
		    out->size - sizeof(uint32_t));
}

const Tranche *trancheOf(const hbm_wl_client *client, uint32_t index, int *err)
{
	if (!client) {
		*err = fail(EINVAL, "the hbm_wl_client is NULL");
		return nullptr;
	}
	const auto &tranches = client->client->feedback().tranches;
	if (index >= tranches.size()) {
		*err = fail(ERANGE, "tranche " + std::to_string(index) + " of a feedback with " +
					    std::to_string(tranches.size()) + " tranches");
		return nullptr;
	}
	return &tranches[index];
}

} // namespace

extern "C" {

int hbm_wl_client_create(wl_display *display, hbm_context *ctx, const hbm_wl_client_options *options,
			 hbm_wl_client **out)
{
	if (!out)
		return fail(EINVAL, "hbm_wl_client_create: out is NULL");
	*out = nullptr;
	hbm_wl_client_options o{sizeof(o), 0, 0};
	if (options) {
		if (int r = checkSize(options, offsetof(hbm_wl_client_options, v3_main_device) + sizeof(uint64_t),
				      "hbm_wl_client_options"))
			return r;
		std::memcpy(&o, options, options->size);
	}
	auto context = interop::contextOf(ctx);
	if (!context)
		return fail(EINVAL, "hbm_wl_client_create: the hbm_context is NULL");
	DmabufClient::Options opts;
	opts.maxVersion = o.max_version ? o.max_version : 4;
	opts.v3MainDevice = dev_t(o.v3_main_device);
	auto client = DmabufClient::create(display, context, opts);
	if (!client)
		return interop::recordError(client.error());
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
		return fail(EINVAL, "hbm_wl_client_roundtrip: the client is NULL");
	auto r = client->client->roundtrip();
	return r ? 0 : interop::recordError(r.error());
}

int hbm_wl_client_get_feedback(const hbm_wl_client *client, hbm_wl_feedback_info *out)
{
	if (!client)
		return fail(EINVAL, "hbm_wl_client_get_feedback: the client is NULL");
	if (int r = checkSize(out, sizeof(hbm_wl_feedback_info), "hbm_wl_feedback_info"))
		return r;
	const DmabufFeedback &f = client->client->feedback();
	writeOut(out, hbm_wl_feedback_info{sizeof(*out), f.version, uint64_t(f.mainDevice), uint32_t(f.tranches.size())});
	return 0;
}

int hbm_wl_client_get_tranche(const hbm_wl_client *client, uint32_t index, hbm_wl_tranche_info *out)
{
	int err = 0;
	const Tranche *t = trancheOf(client, index, &err);
	if (!t)
		return err;
	if (int r = checkSize(out, sizeof(hbm_wl_tranche_info), "hbm_wl_tranche_info"))
		return r;
	uint32_t pairs = 0;
	for (const FormatSet::Entry &e : t->formats.entries())
		pairs += uint32_t(e.modifiers.size());
	writeOut(out, hbm_wl_tranche_info{sizeof(*out), t->flags, uint64_t(t->targetDevice), pairs});
	return 0;
}

int hbm_wl_client_get_tranche_pair(const hbm_wl_client *client, uint32_t tranche, uint32_t pair, uint32_t *format,
				   uint64_t *modifier)
{
	int err = 0;
	const Tranche *t = trancheOf(client, tranche, &err);
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
	return fail(ERANGE, "pair " + std::to_string(pair) + " of tranche " + std::to_string(tranche) + ", which has " +
				    std::to_string(pair - n) + " pairs");
}

int hbm_wl_client_get_participant(const hbm_wl_client *client, uint32_t tranche, hbm_participant **out)
{
	if (!out)
		return fail(EINVAL, "hbm_wl_client_get_participant: out is NULL");
	*out = nullptr;
	int err = 0;
	if (!trancheOf(client, tranche, &err))
		return err;
	*out = interop::wrapParticipant(client->client->participants()[tranche]);
	return *out ? 0 : fail(ENOMEM, "cannot make the participant");
}

int hbm_wl_client_allocate(hbm_wl_client *client, const hbm_request *request, hbm_participant *const *own,
			   uint32_t own_count, hbm_buffer **out)
{
	if (!out)
		return fail(EINVAL, "hbm_wl_client_allocate: out is NULL");
	*out = nullptr;
	if (!client)
		return fail(EINVAL, "hbm_wl_client_allocate: the client is NULL");
	if (int r = checkSize(request, sizeof(hbm_request), "hbm_request"))
		return r;
	if (request->format_count && !request->formats)
		return fail(EINVAL, "hbm_request: format_count is " + std::to_string(request->format_count) + " but formats is NULL");
	if (own_count && !own)
		return fail(EINVAL, "hbm_wl_client_allocate: own_count is " + std::to_string(own_count) + " but own is NULL");
	Request r;
	r.width = request->width;
	r.height = request->height;
	r.usage = request->usage;
	r.formats.assign(request->formats, request->formats + request->format_count);
	r.kind = request->kind ? request->kind : "";
	std::vector<Participant> participants;
	for (uint32_t i = 0; i < own_count; ++i) {
		const Participant *p = interop::participantOf(own[i]);
		if (!p)
			return fail(EINVAL, "hbm_wl_client_allocate: own[" + std::to_string(i) + "] is NULL");
		participants.push_back(*p);
	}
	auto buffer = client->client->allocate(r, participants);
	if (!buffer)
		return interop::recordError(buffer.error());
	*out = interop::wrapBuffer(std::move(*buffer));
	return 0;
}

int hbm_wl_client_check_buffer(const hbm_wl_client *client, hbm_buffer *buffer)
{
	auto b = interop::bufferOf(buffer);
	if (!client || !b)
		return fail(EINVAL, std::string("hbm_wl_client_check_buffer: the ") + (client ? "buffer" : "client") + " is NULL");
	auto ok = client->client->acceptable(*b);
	return ok ? 0 : interop::recordError(ok.error());
}

int hbm_wl_client_get_wl_buffer(hbm_wl_client *client, hbm_buffer *buffer, uint32_t flags, wl_buffer **out)
{
	if (!out)
		return fail(EINVAL, "hbm_wl_client_get_wl_buffer: out is NULL");
	*out = nullptr;
	auto b = interop::bufferOf(buffer);
	if (!client || !b)
		return fail(EINVAL, std::string("hbm_wl_client_get_wl_buffer: the ") + (client ? "buffer" : "client") + " is NULL");
	if (flags & ~uint32_t(HBM_WL_BUFFER_ASYNC))
		return fail(EINVAL, "hbm_wl_client_get_wl_buffer: unknown flags " + std::to_string(flags));
	auto made = client->client->wlBuffer(b, !(flags & HBM_WL_BUFFER_ASYNC));
	if (!made)
		return interop::recordError(made.error());
	*out = *made;
	return 0;
}

uint64_t hbm_wl_client_get_wl_buffers_created(const hbm_wl_client *client)
{
	return client ? client->client->wlBuffersCreated() : 0;
}

int hbm_wl_client_set_feedback_listener(hbm_wl_client *client, hbm_wl_feedback_func func, void *data)
{
	if (!client)
		return fail(EINVAL, "hbm_wl_client_set_feedback_listener: the client is NULL");
	client->func = func;
	client->data = data;
	if (!func) {
		client->client->setFeedbackListener({});
		return 0;
	}
	client->client->setFeedbackListener([client](const Result<DmabufFeedback> &f) {
		client->func(client, f ? 0 : interop::recordError(f.error()), client->data);
	});
	return 0;
}

} // extern "C"
