// SPDX-License-Identifier: MIT
// hbm_allocator_v1 for a compositor: requests are bounded and checked here (the protocol's
// own rules: counts, sizes, bits, order); everything about what can be made is the
// context's (negotiate(), allocate(), and the one constraint check on what was made), and
// its refusal goes back to the client as data. Buffers a client holds are accounted
// against its quota until it destroys their objects or goes.
#include <hbm/wayland/allocator_server.hpp>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <unordered_map>

#include <unistd.h>

#include <drm_fourcc.h>
#include <wayland-server-core.h>

#include <hbm/allocator.hpp>
#include <hbm/buffer.hpp>
#include <hbm/refusal.hpp>

#include "compositor_private.hpp"
#include "error.hpp"
#include "log.hpp"
#include "hbm-allocator-v1-server-protocol.h"

namespace hbm::wayland {

namespace {

hbm_seam::LogCategory logAllocator("wayland-server");

constexpr uint32_t kVersion = 1;

} // namespace

struct AllocatorServer::Core {
	AllocatorServerOptions options;
	wl_global *global = nullptr;
	bool closed = false; ///< the AllocatorServer is gone: answer with a refusal
	std::unordered_map<wl_client *, AllocatorClientUsage> clients;
	uint64_t served = 0;
	uint64_t refused = 0;
};

namespace {

using Core = AllocatorServer::Core;

/// hbm_allocation_v1's state until it is submitted.
struct Allocation {
	std::shared_ptr<Core> core;
	std::vector<uint32_t> formats;
	wl_resource *surface = nullptr;
	wl_listener surfaceDestroyed{};
	bool surfaceSet = false;
	bool submitted = false;
};

/// hbm_allocated_buffer_v1: the compositor's reference and the client's account of it.
struct HeldBuffer {
	std::shared_ptr<Core> core;
	wl_client *client = nullptr;
	std::shared_ptr<Buffer> buffer;
	uint64_t bytes = 0;
};

void postError(wl_resource *resource, uint32_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void postError(wl_resource *resource, uint32_t code, const char *fmt, ...)
{
	char message[256];
	va_list args;
	va_start(args, fmt);
	std::vsnprintf(message, sizeof message, fmt, args);
	va_end(args);
	// Every protocol error is the compositor's log's too: the client is disconnected by it.
	HBM_LOG(logAllocator, Debug, "protocol error %u to %s@%u (client %p): %s", code, wl_resource_get_class(resource),
		wl_resource_get_id(resource), static_cast<void *>(wl_resource_get_client(resource)), message);
	wl_resource_post_error(resource, code, "%s", message);
}

/// The bytes of @buffer's memory: each distinct dma-buf's size.
uint64_t bytesOf(const Buffer &buffer)
{
	uint64_t total = 0;
	int last = -1;
	for (size_t i = 0; i < buffer.planeCount(); ++i) {
		const int fd = buffer.planeFd(i).get();
		if (fd == last)
			continue;
		last = fd;
		const off_t end = ::lseek(fd, 0, SEEK_END);
		total += end > 0 ? uint64_t(end) : buffer.layout().size;
	}
	return total;
}

// ---- hbm_allocated_buffer_v1 -------------------------------------------------------------

void heldDestroy(wl_client *, wl_resource *resource)
{
	wl_resource_destroy(resource);
}
const struct hbm_allocated_buffer_v1_interface kHeldImpl = {.destroy = heldDestroy};

/// The buffer's object is gone (destroyed, or with its client): the quota gets it back
/// and the compositor drops its reference.
void heldResourceDestroyed(wl_resource *resource)
{
	auto *held = static_cast<HeldBuffer *>(wl_resource_get_user_data(resource));
	auto it = held->core->clients.find(held->client);
	if (it != held->core->clients.end()) {
		it->second.buffers -= 1;
		it->second.bytes -= held->bytes;
		if (it->second.buffers == 0)
			held->core->clients.erase(it);
	}
	delete held;
}

// ---- hbm_allocation_v1 -------------------------------------------------------------------

Allocation *allocationOf(wl_resource *resource)
{
	return static_cast<Allocation *>(wl_resource_get_user_data(resource));
}

void allocationDestroy(wl_client *, wl_resource *resource)
{
	wl_resource_destroy(resource);
}

void allocationResourceDestroyed(wl_resource *resource)
{
	Allocation *a = allocationOf(resource);
	if (a->surface)
		wl_list_remove(&a->surfaceDestroyed.link);
	delete a;
}

bool refuseAfterSubmit(wl_resource *resource, const char *request)
{
	if (!allocationOf(resource)->submitted)
		return false;
	postError(resource, HBM_ALLOCATION_V1_ERROR_ALREADY_SUBMITTED, "%s after submit: an allocation is used once",
		  request);
	return true;
}

void allocationAddFormat(wl_client *, wl_resource *resource, uint32_t format)
{
	if (refuseAfterSubmit(resource, "add_format"))
		return;
	Allocation *a = allocationOf(resource);
	if (a->formats.size() >= kAllocatorMaxFormats) {
		postError(resource, HBM_ALLOCATION_V1_ERROR_TOO_MANY_FORMATS, "more than %u formats in one request",
			  kAllocatorMaxFormats);
		return;
	}
	a->formats.push_back(format);
}

void surfaceGone(wl_listener *listener, void *)
{
	Allocation *a = wl_container_of(listener, a, surfaceDestroyed);
	wl_list_remove(&a->surfaceDestroyed.link);
	a->surface = nullptr;
}

void allocationSetSurface(wl_client *, wl_resource *resource, wl_resource *surface)
{
	if (refuseAfterSubmit(resource, "set_surface"))
		return;
	Allocation *a = allocationOf(resource);
	if (a->surfaceSet) {
		postError(resource, HBM_ALLOCATION_V1_ERROR_SURFACE_SET, "set_surface sent twice");
		return;
	}
	a->surfaceSet = true;
	a->surface = surface;
	a->surfaceDestroyed.notify = surfaceGone;
	wl_resource_add_destroy_listener(surface, &a->surfaceDestroyed);
}

void sendRefusal(Core &core, wl_resource *resource, const Error &error)
{
	const uint32_t reason = error.refusal ? uint32_t(error.refusal->reason()) : 0;
	HBM_LOG(logAllocator, Info, "refused %s@%u (client %p): %s", wl_resource_get_class(resource),
		wl_resource_get_id(resource), static_cast<void *>(wl_resource_get_client(resource)),
		error.message.c_str());
	core.refused += 1;
	hbm_allocation_v1_send_failed(resource, reason, error.message.c_str());
}

/// A refusal for going over one of @quota's limits (plane 0: buffers, 1: bytes).
Error quotaRefusal(const AllocationQuery &query, uint64_t held, uint64_t limit, uint32_t which,
		   const std::string &setBy)
{
	Rejection r;
	r.reason = RejectReason::QuotaExceeded;
	r.plane = which;
	r.value = held;
	r.limit = limit;
	r.setBy.push_back(DeclaredIdentity{setBy});
	Refusal refusal{std::to_string(query.count) + " buffer" + (query.count == 1 ? "" : "s") + " of " +
				std::to_string(query.request.width) + "x" + std::to_string(query.request.height),
			{r},
			"destroy buffers this client no longer uses (hbm_allocated_buffer_v1.destroy)"};
	return hbm_seam::refusalError(EDQUOT, std::move(refusal));
}

/// Allocates @query.count buffers of @plan, all or none, within the client's quota.
Result<std::vector<std::shared_ptr<Buffer>>> allocateAll(Core &core, const AllocationQuery &query, const Plan &plan)
{
	const AllocatorQuota &quota = core.options.quota;
	const AllocatorClientUsage held = core.clients.count(query.client) ? core.clients[query.client]
									   : AllocatorClientUsage{};
	if (uint64_t(held.buffers) + query.count > quota.maxBuffers)
		return quotaRefusal(query, uint64_t(held.buffers) + query.count, quota.maxBuffers, 0, quota.buffersSetBy);
	std::vector<std::shared_ptr<Buffer>> buffers;
	uint64_t bytes = held.bytes;
	for (uint32_t i = 0; i < query.count; ++i) {
		auto buffer = core.options.context->allocate(plan);
		if (!buffer)
			return buffer.error();
		const uint64_t size = bytesOf(**buffer);
		bytes += size;
		// The buffers of one plan are alike: what the whole request would hold is known
		// from the first, and nothing more is allocated once it would go over.
		const uint64_t projected = bytes + size * (query.count - i - 1);
		if (projected > quota.maxBytes)
			return quotaRefusal(query, projected, quota.maxBytes, 1, quota.bytesSetBy);
		buffers.push_back(std::move(*buffer));
	}
	return buffers;
}

/// Sends @buffer as a new hbm_allocated_buffer_v1 and accounts it to the client.
bool sendBuffer(const std::shared_ptr<Core> &core, wl_resource *allocation, std::shared_ptr<Buffer> buffer)
{
	wl_client *client = wl_resource_get_client(allocation);
	auto planes = buffer->exportPlanes();
	if (!planes)
		return false;
	wl_resource *resource = wl_resource_create(client, &hbm_allocated_buffer_v1_interface,
						   wl_resource_get_version(allocation), 0);
	if (!resource) {
		wl_client_post_no_memory(client);
		return false;
	}
	auto *held = new HeldBuffer{core, client, std::move(buffer), 0};
	held->bytes = bytesOf(*held->buffer);
	wl_resource_set_implementation(resource, &kHeldImpl, held, heldResourceDestroyed);
	AllocatorClientUsage &usage = core->clients[client];
	usage.buffers += 1;
	usage.bytes += held->bytes;
	hbm_allocation_v1_send_buffer(allocation, resource);
	for (size_t i = 0; i < planes->size(); ++i) {
		const PlaneExport &p = (*planes)[i];
		// wl_closure duplicates the fd for sending: ours closes when @planes goes.
		hbm_allocated_buffer_v1_send_plane(resource, uint32_t(i), p.fd.get(), uint32_t(p.offset), p.stride);
	}
	return true;
}

void allocationSubmit(wl_client *client, wl_resource *resource, uint32_t width, uint32_t height, uint32_t usage,
		      uint32_t count, uint32_t flags)
{
	if (refuseAfterSubmit(resource, "submit"))
		return;
	Allocation *a = allocationOf(resource);
	a->submitted = true;
	if (a->formats.empty())
		return postError(resource, HBM_ALLOCATION_V1_ERROR_NO_FORMAT, "submit without a format");
	if (width == 0 || height == 0 || width > kAllocatorMaxDimension || height > kAllocatorMaxDimension)
		return postError(resource, HBM_ALLOCATION_V1_ERROR_INVALID_SIZE,
				 "%ux%u: width and height must be 1 to %u", width, height, kAllocatorMaxDimension);
	if (count == 0 || count > kAllocatorMaxCount)
		return postError(resource, HBM_ALLOCATION_V1_ERROR_INVALID_COUNT, "count %u: it must be 1 to %u", count,
				 kAllocatorMaxCount);
	if (usage & ~kAllocatorUsageBits)
		return postError(resource, HBM_ALLOCATION_V1_ERROR_INVALID_USAGE,
				 "usage 0x%x has bits the protocol does not define (0x%x)", usage, usage & ~kAllocatorUsageBits);
	if (flags & ~kAllocatorDryRun)
		return postError(resource, HBM_ALLOCATION_V1_ERROR_INVALID_FLAGS,
				 "flags 0x%x has bits the protocol does not define (0x%x)", flags, flags & ~kAllocatorDryRun);

	const std::shared_ptr<Core> core = a->core;
	AllocationQuery query;
	query.client = client;
	query.surface = a->surface;
	query.request.width = width;
	query.request.height = height;
	query.request.formats = a->formats;
	query.request.usage = usage;
	query.count = count;
	query.dryRun = flags & kAllocatorDryRun;
	if (core->closed)
		return sendRefusal(*core, resource, detail::error(ESHUTDOWN, "the compositor no longer allocates for clients"));

	using Clock = std::chrono::steady_clock;
	const auto started = Clock::now();
	auto participants = core->options.participantsFor ? core->options.participantsFor(query)
							  : Result<std::vector<Participant>>(std::vector<Participant>{});
	if (!participants)
		return sendRefusal(*core, resource, participants.error());
	auto plan = core->options.context->negotiate(query.request, *participants);
	if (!plan)
		return sendRefusal(*core, resource, plan.error());
	const auto negotiated = Clock::now();
	std::vector<std::shared_ptr<Buffer>> buffers;
	if (!query.dryRun) {
		auto made = allocateAll(*core, query, *plan);
		if (!made)
			return sendRefusal(*core, resource, made.error());
		buffers = std::move(*made);
	}
	const auto allocated = Clock::now();
	// The modifier the client gives linux-dmabuf: the layout's, or INVALID for a linear one
	// the compositor's linux-dmabuf takes only as implicit.
	const auto &implicitOnly = core->options.implicitOnlyFormats;
	uint64_t modifier = plan->modifier();
	if (modifier == DRM_FORMAT_MOD_LINEAR &&
	    std::find(implicitOnly.begin(), implicitOnly.end(), plan->format()) != implicitOnly.end())
		modifier = DRM_FORMAT_MOD_INVALID;
	hbm_allocation_v1_send_chosen(resource, plan->format(), uint32_t(modifier >> 32), uint32_t(modifier & 0xffffffffu),
				      plan->allocator().c_str());
	for (auto &buffer : buffers)
		if (!sendBuffer(core, resource, std::move(buffer)))
			return; // the client is out of memory and disconnected
	hbm_allocation_v1_send_done(resource);
	core->served += 1;
	const auto us = [](Clock::duration d) {
		return (long long)std::chrono::duration_cast<std::chrono::microseconds>(d).count();
	};
	const auto answered = Clock::now();
	HBM_LOG(logAllocator, Debug, "%u buffer%s of %ux%u from %s for client %p%s, answered in %lld us: negotiation %lld, allocation %lld",
		count, count == 1 ? "" : "s", width, height, plan->allocator().c_str(), static_cast<void *>(client),
		query.dryRun ? " (dry run)" : "", us(answered - started), us(negotiated - started), us(allocated - negotiated));
}

const struct hbm_allocation_v1_interface kAllocationImpl = {
	.destroy = allocationDestroy,
	.add_format = allocationAddFormat,
	.set_surface = allocationSetSurface,
	.submit = allocationSubmit,
};

// ---- hbm_allocator_v1 --------------------------------------------------------------------

void allocatorDestroy(wl_client *, wl_resource *resource)
{
	wl_resource_destroy(resource);
}

void allocatorResourceDestroyed(wl_resource *resource)
{
	delete static_cast<std::shared_ptr<Core> *>(wl_resource_get_user_data(resource));
}

void allocatorCreateAllocation(wl_client *client, wl_resource *resource, uint32_t id)
{
	const auto &core = *static_cast<std::shared_ptr<Core> *>(wl_resource_get_user_data(resource));
	wl_resource *allocation =
		wl_resource_create(client, &hbm_allocation_v1_interface, wl_resource_get_version(resource), id);
	if (!allocation) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(allocation, &kAllocationImpl, new Allocation{core}, allocationResourceDestroyed);
}

const struct hbm_allocator_v1_interface kAllocatorImpl = {
	.destroy = allocatorDestroy,
	.create_allocation = allocatorCreateAllocation,
};

/// @data is the server's own std::shared_ptr<Core>, which lives as long as the global.
void bindAllocator(wl_client *client, void *data, uint32_t version, uint32_t id)
{
	const auto &core = *static_cast<const std::shared_ptr<Core> *>(data);
	wl_resource *resource = wl_resource_create(client, &hbm_allocator_v1_interface, int(version), id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	// Each bound resource holds the core, so that its requests outlive the server object.
	wl_resource_set_implementation(resource, &kAllocatorImpl, new std::shared_ptr<Core>(core),
				       allocatorResourceDestroyed);
}

} // namespace

Result<std::unique_ptr<AllocatorServer>> AllocatorServer::create(wl_display *display, AllocatorServerOptions options)
{
	if (!display)
		return detail::error(EINVAL, "AllocatorServer: the wl_display is null");
	if (!options.context)
		return detail::error(EINVAL, "AllocatorServer: no context to allocate in");
	if (options.quota.maxBuffers == 0 || options.quota.maxBytes == 0)
		return detail::error(EINVAL, "AllocatorServer: a quota of 0 buffers or bytes allows nothing");
	auto core = std::make_shared<Core>();
	core->options = std::move(options);
	std::unique_ptr<AllocatorServer> server(new AllocatorServer(display, std::move(core)));
	if (!server->core_->global)
		return detail::error(ENOMEM, "AllocatorServer: cannot create the hbm_allocator_v1 global");
	return server;
}

AllocatorServer::AllocatorServer(wl_display *display, std::shared_ptr<Core> core) : core_(std::move(core))
{
	core_->global = wl_global_create(display, &hbm_allocator_v1_interface, int(kVersion), &core_, bindAllocator);
}

AllocatorServer::~AllocatorServer()
{
	if (core_->global)
		wl_global_destroy(core_->global);
	core_->global = nullptr;
	core_->closed = true;
}

AllocatorClientUsage AllocatorServer::usageOf(wl_client *client) const
{
	auto it = core_->clients.find(client);
	return it == core_->clients.end() ? AllocatorClientUsage{} : it->second;
}

AllocatorClientUsage AllocatorServer::totalUsage() const
{
	AllocatorClientUsage total;
	for (const auto &[client, usage] : core_->clients) {
		total.buffers += usage.buffers;
		total.bytes += usage.bytes;
	}
	return total;
}

uint64_t AllocatorServer::requestsServed() const
{
	return core_->served;
}

uint64_t AllocatorServer::requestsRefused() const
{
	return core_->refused;
}

} // namespace hbm::wayland
