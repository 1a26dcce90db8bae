// SPDX-License-Identifier: MIT
// The C ABI's pools and leases. A lease handle is a token looked up in a table, never a
// pointer to memory: a lease released twice finds nothing and touches nothing.
#include <cerrno>
#include <cstdint>
#include <unordered_map>

#include "c_api_private.hpp"
#include "base/error.hpp"

namespace hbm::capi {

namespace {

struct LeaseEntry {
	Lease lease;
	hbm_buffer *view; ///< holds one reference for the lease
};

/// Leases held, by token. Tokens count up from 1 and are never reused.
struct LeaseTable {
	std::mutex mutex;
	std::unordered_map<uintptr_t, LeaseEntry> entries;
	uintptr_t next = 1;
};

LeaseTable &leases()
{
	static LeaseTable *table = new LeaseTable; // never destroyed: leases may outlive static destructors
	return *table;
}

uintptr_t tokenOf(const hbm_lease *lease)
{
	return reinterpret_cast<uintptr_t>(lease);
}

int createPool(const char *function, std::shared_ptr<Context> context, const hbm::Request &request,
	       const std::vector<hbm::Participant> &participants, uint32_t maxBuffers, hbm_pool **out)
{
	auto pool = BufferPool::create(std::move(context), request, participants, maxBuffers);
	if (!pool)
		return fail(withContext(pool.error(), function));
	*out = new hbm_pool{std::move(*pool), std::make_shared<PoolViews>()};
	return 0;
}

} // namespace

} // namespace hbm::capi

using namespace hbm::capi;

extern "C" {

int hbm_pool_create(struct hbm_description *description, uint32_t max_buffers, struct hbm_pool **out)
{
	if (!description || !out)
		return fail(EINVAL, "hbm_pool_create: description and out must not be NULL");
	const hbm::BufferDescription &d = *description->description;
	return createPool("hbm_pool_create", description->context, d.request(), d.participants(), max_buffers, out);
}

int hbm_pool_create_with_options(struct hbm_context *ctx, const struct hbm_pool_options *options,
				 struct hbm_pool **out)
{
	static const char *const function = "hbm_pool_create_with_options";
	if (!ctx || !out)
		return fail(EINVAL, "%s: ctx and out must not be NULL", function);
	hbm_pool_options o;
	if (int err = readStruct(function, options, &o))
		return err;
	hbm::Request r;
	if (int err = readRequest(function, o.request, &r))
		return err;
	std::vector<hbm::Participant> all;
	if (int err = readParticipants(function, o.participants, o.participant_count, &all))
		return err;
	return createPool(function, ctx->context, r, all, o.max_buffers, out);
}

void hbm_pool_destroy(struct hbm_pool *pool)
{
	if (!pool)
		return;
	retirePool(pool->views);
	delete pool;
}

int hbm_pool_acquire(struct hbm_pool *pool, struct hbm_lease **out)
{
	if (!pool || !out)
		return fail(EINVAL, "hbm_pool_acquire: pool and out must not be NULL");
	auto lease = pool->pool->acquire();
	if (!lease)
		return fail(lease.error());
	// The pool's buffer's one handle, kept from lease to lease with its user data.
	hbm_buffer *view = wrap(lease->buffer(), pool->views);
	LeaseTable &table = leases();
	std::lock_guard lock(table.mutex);
	const uintptr_t token = table.next++;
	table.entries.emplace(token, LeaseEntry{std::move(*lease), view});
	*out = reinterpret_cast<hbm_lease *>(token);
	return 0;
}

struct hbm_buffer *hbm_lease_get_buffer(const struct hbm_lease *lease)
{
	LeaseTable &table = leases();
	std::lock_guard lock(table.mutex);
	auto it = table.entries.find(tokenOf(lease));
	return it == table.entries.end() ? nullptr : it->second.view;
}

int hbm_lease_release(struct hbm_lease *lease)
{
	if (!lease)
		return fail(EINVAL, "hbm_lease_release: lease is NULL");
	LeaseTable &table = leases();
	std::unique_lock lock(table.mutex);
	auto it = table.entries.find(tokenOf(lease));
	if (it == table.entries.end())
		return fail(EALREADY, "hbm_lease_release: lease %p is not held (released already?)",
			    static_cast<void *>(lease));
	LeaseEntry entry = std::move(it->second);
	table.entries.erase(it);
	lock.unlock();
	// The lease first, then its reference: the slot is free once both are gone.
	auto released = entry.lease.release();
	hbm_buffer_unref(entry.view);
	return released ? 0 : fail(released.error());
}

} // extern "C"
