// SPDX-License-Identifier: MIT
// hbm_allocator_v1, client side: a request sent and its answer awaited on a private queue;
// the descriptors received are imported like any foreign buffer (Buffer::import()), and
// each buffer's compositor-side object is kept until the caller lets go of the Buffer.
#include <hbm/wayland/allocator_client.hpp>

#include <cerrno>
#include <optional>

#include <wayland-client.h>

#include <hbm/refusal.hpp>
#include <hbm/unique_fd.hpp>

#include "log.hpp"
#include "registry.hpp"
#include "hbm-allocator-v1-client-protocol.h"

namespace hbm::wayland {

namespace {

hbm_seam::LogCategory logAllocatorClient("wayland-client");

struct ReceivedPlane {
	UniqueFd fd;
	uint32_t offset = 0;
	uint32_t stride = 0;
};

struct ReceivedBuffer {
	hbm_allocated_buffer_v1 *proxy = nullptr;
	std::vector<ReceivedPlane> planes;
	std::optional<Error> fault; ///< planes out of order or past four
};

/// One request's answer as it arrives.
struct Answer {
	std::optional<AllocatorChoice> choice;
	std::vector<std::unique_ptr<ReceivedBuffer>> buffers;
	bool done = false;
	std::optional<Error> refusal;
};

void onPlane(void *data, hbm_allocated_buffer_v1 *, uint32_t index, int32_t fd, uint32_t offset, uint32_t stride)
{
	auto *b = static_cast<ReceivedBuffer *>(data);
	UniqueFd owned(fd);
	if (index != b->planes.size() || index >= 4) {
		if (!b->fault)
			b->fault = Error{EPROTO,
					 "the compositor sent plane " + std::to_string(index) + " after " +
						 std::to_string(b->planes.size()) + " planes (planes come in order, at most 4)",
					 nullptr};
		return;
	}
	b->planes.push_back(ReceivedPlane{std::move(owned), offset, stride});
}

const hbm_allocated_buffer_v1_listener kBufferListener = {onPlane};

void onChosen(void *data, hbm_allocation_v1 *, uint32_t format, uint32_t hi, uint32_t lo, const char *allocator)
{
	static_cast<Answer *>(data)->choice = AllocatorChoice{format, uint64_t(hi) << 32 | lo, allocator ? allocator : ""};
}

void onBuffer(void *data, hbm_allocation_v1 *, hbm_allocated_buffer_v1 *proxy)
{
	auto *answer = static_cast<Answer *>(data);
	auto b = std::make_unique<ReceivedBuffer>();
	b->proxy = proxy;
	hbm_allocated_buffer_v1_add_listener(proxy, &kBufferListener, b.get());
	answer->buffers.push_back(std::move(b));
}

void onDone(void *data, hbm_allocation_v1 *)
{
	static_cast<Answer *>(data)->done = true;
}

/// The compositor's refusal as an Error: its sentence, and its reason as a Refusal so that
/// callers (and the C ABI's hbm_last_reason()) switch on it as on a local one.
void onFailed(void *data, hbm_allocation_v1 *, uint32_t reason, const char *message)
{
	auto *answer = static_cast<Answer *>(data);
	const auto why = RejectReason(reason);
	const int code = why == RejectReason::QuotaExceeded ? EDQUOT : why == RejectReason::OutOfMemory ? ENOMEM : ENOTSUP;
	Rejection r;
	r.reason = why;
	auto refusal = std::make_shared<Refusal>();
	refusal->subject = "the compositor's allocation";
	refusal->rejections.push_back(r);
	answer->refusal = Error{code, std::string("the compositor refused: ") + (message ? message : ""), refusal};
}

const hbm_allocation_v1_listener kAllocationListener = {onChosen, onBuffer, onDone, onFailed};

} // namespace

struct AllocatorClient::Private {
	wl_display *display = nullptr;
	wl_event_queue *queue = nullptr;
	hbm_allocator_v1 *allocator = nullptr;
	/// Buffers handed out, with their compositor-side objects.
	std::vector<std::pair<std::weak_ptr<Buffer>, hbm_allocated_buffer_v1 *>> held;

	/// Destroys the objects of buffers nobody holds any more.
	void release()
	{
		std::erase_if(held, [](auto &entry) {
			if (!entry.first.expired())
				return false;
			hbm_allocated_buffer_v1_destroy(entry.second);
			return true;
		});
	}

	~Private()
	{
		for (auto &[buffer, proxy] : held)
			hbm_allocated_buffer_v1_destroy(proxy);
		if (allocator)
			hbm_allocator_v1_destroy(allocator);
		if (queue)
			wl_event_queue_destroy(queue);
		if (display)
			wl_display_flush(display);
	}
};

AllocatorClient::AllocatorClient(std::unique_ptr<Private> d) : d_(std::move(d)) {}

AllocatorClient::~AllocatorClient() = default;

Result<std::unique_ptr<AllocatorClient>> AllocatorClient::create(wl_display *display)
{
	if (!display)
		return Error{EINVAL, "AllocatorClient::create: the wl_display is null", nullptr};
	auto d = std::make_unique<Private>();
	d->display = display;
	d->queue = wl_display_create_queue(display);
	if (!d->queue)
		return Error{ENOMEM, "cannot create a Wayland event queue", nullptr};
	uint32_t version = 0;
	auto bound = detail::bindGlobal(display, d->queue, &hbm_allocator_v1_interface, 1, 1, &version);
	if (!bound)
		return bound.error();
	d->allocator = reinterpret_cast<hbm_allocator_v1 *>(*bound);
	return std::unique_ptr<AllocatorClient>(new AllocatorClient(std::move(d)));
}

Result<AllocatorAnswer> AllocatorClient::allocate(const Request &request)
{
	return allocate(request, Options{});
}

Result<AllocatorAnswer> AllocatorClient::allocate(const Request &request, const Options &options)
{
	d_->release();
	// The protocol's bounds, checked before the compositor would disconnect us for them.
	if (request.formats.empty() || request.formats.size() > kAllocatorMaxFormats)
		return Error{EINVAL,
			     "AllocatorClient::allocate: " + std::to_string(request.formats.size()) + " formats; 1 to " +
				     std::to_string(kAllocatorMaxFormats) + " can be asked for",
			     nullptr};
	if (request.width == 0 || request.height == 0 || request.width > kAllocatorMaxDimension ||
	    request.height > kAllocatorMaxDimension)
		return Error{EINVAL,
			     "AllocatorClient::allocate: " + std::to_string(request.width) + "x" +
				     std::to_string(request.height) + ": width and height must be 1 to " +
				     std::to_string(kAllocatorMaxDimension),
			     nullptr};
	if (options.count == 0 || options.count > kAllocatorMaxCount)
		return Error{EINVAL,
			     "AllocatorClient::allocate: count " + std::to_string(options.count) + ": 1 to " +
				     std::to_string(kAllocatorMaxCount) + " buffers can be asked for at once",
			     nullptr};
	if (request.usage & ~kAllocatorUsageBits)
		return Error{EINVAL, "AllocatorClient::allocate: usage has bits hbm does not define", nullptr};

	Answer answer;
	hbm_allocation_v1 *allocation = hbm_allocator_v1_create_allocation(d_->allocator);
	hbm_allocation_v1_add_listener(allocation, &kAllocationListener, &answer);
	for (uint32_t format : request.formats)
		hbm_allocation_v1_add_format(allocation, format);
	if (options.surface)
		hbm_allocation_v1_set_surface(allocation, options.surface);
	hbm_allocation_v1_submit(allocation, request.width, request.height, request.usage, options.count,
				 options.dryRun ? kAllocatorDryRun : 0);
	Result<void> waited;
	for (int i = 0; i < 4 && !answer.done && !answer.refusal && waited; ++i)
		waited = detail::roundtripQueue(d_->display, d_->queue, "waiting for the compositor's allocation");
	hbm_allocation_v1_destroy(allocation);

	// Every buffer object received is ours to destroy, whatever else happens.
	auto dropReceived = [&answer] {
		for (auto &b : answer.buffers)
			hbm_allocated_buffer_v1_destroy(b->proxy);
	};
	if (!waited || answer.refusal || !answer.done || !answer.choice) {
		dropReceived();
		if (!waited)
			return waited.error();
		if (answer.refusal)
			return *answer.refusal;
		return Error{EPROTO, "the compositor did not finish its answer (no done) after 4 roundtrips", nullptr};
	}
	const uint32_t expected = options.dryRun ? 0 : options.count;
	if (answer.buffers.size() != expected) {
		dropReceived();
		return Error{EPROTO,
			     "the compositor sent " + std::to_string(answer.buffers.size()) + " buffers for a request of " +
				     std::to_string(expected),
			     nullptr};
	}

	AllocatorAnswer out;
	out.choice = *answer.choice;
	for (size_t i = 0; i < answer.buffers.size(); ++i) {
		ReceivedBuffer &b = *answer.buffers[i];
		Result<std::shared_ptr<Buffer>> imported = std::shared_ptr<Buffer>();
		if (b.fault) {
			imported = *b.fault;
		} else {
			ImportDesc desc;
			desc.width = request.width;
			desc.height = request.height;
			desc.format = out.choice.format;
			desc.modifier = out.choice.modifier;
			for (const ReceivedPlane &p : b.planes)
				desc.planes.push_back(PlaneImport{p.fd.get(), p.offset, p.stride});
			imported = Buffer::import(desc);
		}
		if (!imported) {
			// Nothing half-made: the buffers imported so far go back with the rest.
			dropReceived();
			Error e = imported.error();
			e.message = "buffer " + std::to_string(i) + " the compositor sent: " + e.message;
			HBM_LOG(logAllocatorClient, Warn, "%s", e.message.c_str());
			return e;
		}
		out.buffers.push_back(*imported);
	}
	for (size_t i = 0; i < out.buffers.size(); ++i)
		d_->held.emplace_back(out.buffers[i], answer.buffers[i]->proxy);
	return out;
}

size_t AllocatorClient::held() const
{
	d_->release();
	return d_->held.size();
}

} // namespace hbm::wayland
