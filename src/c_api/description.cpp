// SPDX-License-Identifier: MIT
// The C ABI's descriptions: a buffer described, attached to, planned and allocated last.
#include <cerrno>

#include "c_api_private.hpp"

namespace hbm_seam {

using namespace hbm;
using namespace hbm::capi;

int readRequest(const char *function, const hbm_request *in, hbm::Request *out)
{
	hbm_request r;
	if (int err = readStruct(function, in, &r))
		return err;
	if (r.format_count && !r.formats)
		return fail(EINVAL, "%s: format_count is %u but formats is NULL", function, r.format_count);
	out->width = r.width;
	out->height = r.height;
	out->formats.assign(r.formats, r.formats + r.format_count);
	out->usage = r.usage;
	out->kind = r.kind ? r.kind : "";
	return 0;
}

int readParticipants(const char *function, const hbm_participant *const *participants, uint32_t count,
		     std::vector<Participant> *out)
{
	if (count && !participants)
		return fail(EINVAL, "%s: participant_count is %u but participants is NULL", function, count);
	out->clear();
	for (uint32_t i = 0; i < count; ++i) {
		const Participant *p = participantOf(participants[i]);
		if (!p)
			return fail(EINVAL, "%s: participants[%u] is NULL", function, i);
		out->push_back(*p);
	}
	return 0;
}

} // namespace hbm_seam

using namespace hbm::capi;

extern "C" {

int hbm_description_create(struct hbm_context *ctx, const struct hbm_request *request, struct hbm_description **out)
{
	static const char *const function = "hbm_description_create";
	if (!ctx || !out)
		return fail(EINVAL, "%s: ctx and out must not be NULL", function);
	hbm::Request r;
	if (int err = readRequest(function, request, &r))
		return err;
	auto description = ctx->context->describe(r);
	if (!description)
		return fail(description.error());
	*out = new hbm_description{ctx->context, *description, (*description)->plan(), nullptr};
	return 0;
}

void hbm_description_destroy(struct hbm_description *description)
{
	if (!description)
		return;
	hbm_buffer_unref(description->buffer);
	delete description;
}

int hbm_description_attach(struct hbm_description *description, const struct hbm_participant *participant)
{
	if (!description || !participant)
		return fail(EINVAL, "hbm_description_attach: description and participant must not be NULL");
	auto attached = description->description->attach(participant->participant);
	if (!attached)
		return fail(attached.error());
	description->plan = description->description->plan();
	return 0;
}

int hbm_description_detach(struct hbm_description *description, const struct hbm_participant *participant)
{
	if (!description || !participant)
		return fail(EINVAL, "hbm_description_detach: description and participant must not be NULL");
	auto detached = description->description->detach(participant->participant.identity);
	if (!detached)
		return fail(detached.error());
	description->plan = description->description->plan();
	return 0;
}

int hbm_description_get_plan(const struct hbm_description *description, struct hbm_plan_info *out)
{
	if (!description)
		return fail(EINVAL, "hbm_description_get_plan: description is NULL");
	const hbm::Plan &plan = description->plan;
	const hbm::Placement &place = plan.placement();
	hbm_plan_info info{};
	info.width = plan.width();
	info.height = plan.height();
	info.format = plan.format();
	info.modifier = plan.modifier();
	info.usage = plan.usage();
	info.flags = (place.contiguous ? HBM_PLAN_CONTIGUOUS : 0) |
		     (place.cached ? (*place.cached ? HBM_PLAN_CACHED : HBM_PLAN_UNCACHED) : 0);
	info.stride_alignment = plan.linear().strideAlignment;
	info.offset_alignment = plan.linear().offsetAlignment;
	info.size_alignment = plan.linear().sizeAlignment;
	info.trace_count = uint32_t(plan.trace().size());
	info.address_limit = place.addressLimit;
	info.local_to_device = place.localTo;
	info.allocator = plan.allocator().c_str();
	return writeStruct("hbm_description_get_plan", out, info);
}

const char *hbm_description_get_trace_line(const struct hbm_description *description, size_t index)
{
	if (!description || index >= description->plan.trace().size())
		return nullptr;
	return description->plan.trace()[index].c_str();
}

int hbm_description_allocate(struct hbm_description *description, struct hbm_buffer **out)
{
	if (!description || !out)
		return fail(EINVAL, "hbm_description_allocate: description and out must not be NULL");
	if (!description->buffer) {
		auto buffer = description->description->allocate();
		if (!buffer)
			return fail(buffer.error());
		description->buffer = wrap(std::move(*buffer)); // the plan is the one read before
	}
	*out = hbm_buffer_ref(description->buffer);
	return 0;
}

} // extern "C"
