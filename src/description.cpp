// SPDX-License-Identifier: MIT
#include <hbm/description.hpp>

#include <algorithm>
#include <cerrno>

#include <hbm/format.hpp>

#include "constraint_check.hpp"
#include "context_private.hpp"
#include "description_private.hpp"
#include "base/error.hpp"
#include "negotiation_private.hpp"
#include "base/log.hpp"

namespace hbm {

namespace {
LogCategory logDescription("buffer");
}

BufferDescription::BufferDescription(std::unique_ptr<Private> d) : d_(std::move(d)) {}

BufferDescription::~BufferDescription() = default;

const Request &BufferDescription::request() const
{
	return d_->request;
}

Result<void> BufferDescription::attach(const Participant &participant)
{
	std::unique_lock lock(d_->mutex);
	if (d_->buffer) {
		std::shared_ptr<Buffer> buffer = d_->buffer;
		lock.unlock();
		return buffer->attach(participant);
	}
	// The plan must still exist with the newcomer. On refusal nothing changes.
	std::vector<Participant> all = d_->participants;
	all.push_back(participant);
	auto plan = d_->context->negotiate(d_->request, all);
	if (!plan) {
		Error e = withContext(plan.error(), "attaching " + participant.name());
		return e;
	}
	d_->participants = std::move(all);
	d_->plan = std::move(*plan);
	HBM_LOG(logDescription, Debug, "%s attached; plan: %s", participant.name().c_str(),
		d_->plan.trace().back().c_str());
	return {};
}

Result<void> BufferDescription::detach(const ParticipantIdentity &identity)
{
	std::lock_guard lock(d_->mutex);
	auto refuse = [&](RejectReason reason, const char *fix) {
		Rejection r;
		r.reason = reason;
		r.setBy = {identity};
		return refusalError(reason == RejectReason::NotAttached ? ENOENT : EBUSY,
				    Refusal{"detaching " + identityName(identity), {r}, fix});
	};
	auto it = std::find_if(d_->participants.begin(), d_->participants.end(),
			       [&](const Participant &p) { return p.identity == identity; });
	if (it == d_->participants.end() && !d_->buffer)
		return refuse(RejectReason::NotAttached, "");
	if (d_->buffer)
		return refuse(RejectReason::StorageExists, "describe a new buffer without it");
	std::vector<Participant> rest = d_->participants;
	rest.erase(rest.begin() + (it - d_->participants.begin()));
	// Fewer constraints cannot make a plan impossible, but the plan may get better.
	auto plan = d_->context->negotiate(d_->request, rest);
	if (!plan)
		return withContext(plan.error(), "detaching " + identityName(identity));
	d_->participants = std::move(rest);
	d_->plan = std::move(*plan);
	return {};
}

std::vector<Participant> BufferDescription::participants() const
{
	std::lock_guard lock(d_->mutex);
	return d_->buffer ? d_->buffer->participants() : d_->participants;
}

Plan BufferDescription::plan() const
{
	std::lock_guard lock(d_->mutex);
	return d_->plan;
}

Result<std::shared_ptr<Buffer>> BufferDescription::allocate()
{
	// One allocation, whoever asks first; the lock keeps a second caller from allocating too.
	std::lock_guard lock(d_->mutex);
	if (d_->buffer)
		return d_->buffer;
	if (!PlanBuilder::state(d_->plan)) {
		// No plan existed when it was described: asked again, for the refusal (or a plan).
		auto plan = d_->context->negotiate(d_->request, d_->participants);
		if (!plan)
			return plan.error();
		d_->plan = std::move(*plan);
	}
	auto made = allocatePlan(d_->plan);
	if (!made)
		return made.error();
	d_->buffer = std::move(*made);
	HBM_LOG(logDescription, Info, "storage for %ux%u %s from %s, negotiated for %zu participants",
		d_->buffer->width(), d_->buffer->height(), formatName(d_->buffer->format()).c_str(),
		d_->buffer->origin().c_str(), d_->participants.size());
	return d_->buffer;
}

std::shared_ptr<Buffer> BufferDescription::buffer() const
{
	std::lock_guard lock(d_->mutex);
	return d_->buffer;
}

} // namespace hbm
