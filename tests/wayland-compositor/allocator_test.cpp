// SPDX-License-Identifier: MIT
// hbm_allocator_v1 over a real wl_display: AllocatorServer on a thread of the test process,
// clients over socketpairs — libhbm-wayland's AllocatorClient for what a client does, and
// raw generated protocol for what a hostile one sends. The host has no dma-buf memory, so
// there every answer is a refusal (which is the point of half of these tests); the tests
// that need buffers skip on the host, naming the device, and run in the lab.
#include <hbm/wayland/allocator_client.hpp>
#include <hbm/wayland/allocator_server.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <chrono>
#include <thread>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <wayland-client.h>
#include <wayland-server.h>

#include <hbm/refusal.hpp>

#include "../fakes/lab_requirement.hpp"
#include "../fakes/process_resources.hpp"
#include "allocator_harness.hpp"
#include "hbm-allocator-v1-client-protocol.h"

namespace hbm::test {
namespace {

constexpr uint32_t XR24 = DRM_FORMAT_XRGB8888;

bool haveSystemHeap()
{
	return ::access("/dev/dma_heap/system", R_OK) == 0;
}

wayland::AllocatorServerOptions optionsWith(std::shared_ptr<Context> context, wayland::AllocatorQuota quota = {})
{
	wayland::AllocatorServerOptions o;
	o.context = std::move(context);
	o.quota = quota;
	// No device on the compositor's side: any layout a device could import.
	o.participantsFor = [](const wayland::AllocationQuery &) -> Result<std::vector<Participant>> {
		return std::vector<Participant>{};
	};
	return o;
}

std::shared_ptr<Context> memfdOnly()
{
	auto c = Context::create(ContextOptions{});
	EXPECT_TRUE(c) << c.error().message;
	return c ? *c : nullptr;
}

std::shared_ptr<Context> systemHeap()
{
	ContextOptions o;
	o.heaps = {"system"};
	auto c = Context::create(o);
	EXPECT_TRUE(c) << c.error().message;
	return c ? *c : nullptr;
}

Request xr24(uint32_t width = 64, uint32_t height = 64)
{
	Request r;
	r.width = width;
	r.height = height;
	r.formats = {XR24};
	r.usage = UsageCpuWrite;
	return r;
}

/// A client connection with libhbm-wayland's AllocatorClient.
struct Client {
	wl_display *display = nullptr;
	std::unique_ptr<wayland::AllocatorClient> allocator;

	explicit Client(Compositor &compositor)
	{
		display = wl_display_connect_to_fd(compositor.connect());
		auto a = wayland::AllocatorClient::create(display);
		if (a)
			allocator = std::move(*a);
		else
			ADD_FAILURE() << a.error().message;
	}
	~Client()
	{
		allocator.reset();
		if (display)
			wl_display_disconnect(display);
	}
};

/// A raw client: binds hbm_allocator_v1 and sends what a test says, then reads the
/// protocol error it earned.
struct RawClient {
	wl_display *display = nullptr;
	hbm_allocator_v1 *allocator = nullptr;

	explicit RawClient(Compositor &compositor)
	{
		display = wl_display_connect_to_fd(compositor.connect());
		wl_registry *registry = wl_display_get_registry(display);
		static const wl_registry_listener listener = {
			.global =
				[](void *data, wl_registry *r, uint32_t name, const char *interface, uint32_t) {
					if (std::string(interface) == hbm_allocator_v1_interface.name)
						static_cast<RawClient *>(data)->allocator = static_cast<hbm_allocator_v1 *>(
							wl_registry_bind(r, name, &hbm_allocator_v1_interface, 1));
				},
			.global_remove = [](void *, wl_registry *, uint32_t) {},
		};
		wl_registry_add_listener(registry, &listener, this);
		wl_display_roundtrip(display);
		wl_registry_destroy(registry);
	}
	~RawClient()
	{
		for (wl_proxy *p : owned)
			wl_proxy_destroy(p);
		if (allocator)
			hbm_allocator_v1_destroy(allocator);
		wl_display_disconnect(display);
	}

	/// Proxies a test made on this connection, destroyed with it.
	template<typename T>
	T *own(T *proxy)
	{
		owned.push_back(reinterpret_cast<wl_proxy *>(proxy));
		return proxy;
	}
	std::vector<wl_proxy *> owned;

	/// The protocol error the connection ended with: {code, interface}; {-1, ""} if none.
	std::pair<int, std::string> error()
	{
		// A display that already failed is not dispatched again: libwayland-client 1.21
		// spins in wl_display_dispatch_queue() when the failure was EAGAIN (a flood that
		// filled the socket), flushing and polling for POLLOUT forever.
		if (wl_display_get_error(display) == 0)
			wl_display_roundtrip(display);
		if (wl_display_get_error(display) != EPROTO)
			return {-1, ""};
		const wl_interface *interface = nullptr;
		uint32_t id = 0;
		const uint32_t code = wl_display_get_protocol_error(display, &interface, &id);
		return {int(code), interface ? interface->name : ""};
	}
};

// ---- The host: refusals and protocol errors ------------------------------------------

TEST(AllocatorProtocol, NoGlobalIsENOENT)
{
	Compositor compositor(std::nullopt);
	wl_display *display = wl_display_connect_to_fd(compositor.connect());
	auto a = wayland::AllocatorClient::create(display);
	ASSERT_FALSE(a);
	EXPECT_EQ(a.error().code, ENOENT);
	EXPECT_EQ(a.error().message, "the compositor offers no hbm_allocator_v1");
	wl_display_disconnect(display);
}

// A compositor with no dma-buf memory answers with its refusal as data, and the client
// stays connected and is answered again.
TEST(AllocatorProtocol, ARefusalIsAnEventNeverADisconnect)
{
	Compositor compositor(optionsWith(memfdOnly()));
	ASSERT_EQ(compositor.error(), "");
	Client client(compositor);
	ASSERT_TRUE(client.allocator);
	for (int i = 0; i < 2; ++i) {
		auto answer = client.allocator->allocate(xr24());
		ASSERT_FALSE(answer);
		EXPECT_EQ(answer.error().code, ENOTSUP);
		ASSERT_TRUE(answer.error().refusal);
		EXPECT_EQ(answer.error().refusal->reason(), RejectReason::NoDmaBufMemory) << answer.error().message;
		EXPECT_EQ(answer.error().message.rfind("the compositor refused: ", 0), 0u) << answer.error().message;
	}
	EXPECT_EQ(wl_display_get_error(client.display), 0);
	EXPECT_EQ(compositor.answered(), std::make_pair(uint64_t(0), uint64_t(2)));
}

// What a client library would refuse to send, refused before the compositor sees it.
TEST(AllocatorProtocol, TheClientRefusesOutOfBoundsRequestsItself)
{
	Compositor compositor(optionsWith(memfdOnly()));
	ASSERT_EQ(compositor.error(), "");
	Client client(compositor);
	ASSERT_TRUE(client.allocator);
	wayland::AllocatorClient::Options many;
	many.count = 17;
	EXPECT_EQ(client.allocator->allocate(xr24(), many).error().code, EINVAL);
	EXPECT_EQ(client.allocator->allocate(xr24(0, 64)).error().code, EINVAL);
	EXPECT_EQ(client.allocator->allocate(xr24(16385, 64)).error().code, EINVAL);
	Request none = xr24();
	none.formats.clear();
	EXPECT_EQ(client.allocator->allocate(none).error().code, EINVAL);
	Request odd = xr24();
	odd.usage = 1u << 12;
	EXPECT_EQ(client.allocator->allocate(odd).error().code, EINVAL);
	EXPECT_EQ(wl_display_get_error(client.display), 0);
	EXPECT_EQ(compositor.answered(), std::make_pair(uint64_t(0), uint64_t(0))) << "nothing reached the compositor";
}

// Each malformed request is a protocol error for its client; a second client, connected
// all along, is answered after every one of them.
TEST(AllocatorProtocol, MalformedRequestsAreProtocolErrorsForThatClientOnly)
{
	Compositor compositor(optionsWith(memfdOnly()));
	ASSERT_EQ(compositor.error(), "");
	Client bystander(compositor);
	ASSERT_TRUE(bystander.allocator);
	struct Case {
		const char *what;
		std::function<void(hbm_allocation_v1 *)> send;
		uint32_t code;
	};
	const Case cases[] = {
		{"65 formats",
		 [](hbm_allocation_v1 *a) {
			 for (int i = 0; i < 65; ++i)
				 hbm_allocation_v1_add_format(a, XR24);
		 },
		 HBM_ALLOCATION_V1_ERROR_TOO_MANY_FORMATS},
		{"100000 formats",
		 [](hbm_allocation_v1 *a) {
			 for (int i = 0; i < 100000; ++i)
				 hbm_allocation_v1_add_format(a, XR24);
		 },
		 HBM_ALLOCATION_V1_ERROR_TOO_MANY_FORMATS},
		{"no format", [](hbm_allocation_v1 *a) { hbm_allocation_v1_submit(a, 64, 64, 0, 1, 0); },
		 HBM_ALLOCATION_V1_ERROR_NO_FORMAT},
		{"width 0",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, XR24);
			 hbm_allocation_v1_submit(a, 0, 64, 0, 1, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_SIZE},
		{"height 2^32-1",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, XR24);
			 hbm_allocation_v1_submit(a, 64, 0xffffffffu, 0, 1, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_SIZE},
		{"count 0",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, XR24);
			 hbm_allocation_v1_submit(a, 64, 64, 0, 0, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_COUNT},
		{"count 1000",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, XR24);
			 hbm_allocation_v1_submit(a, 64, 64, 0, 1000, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_COUNT},
		{"unknown usage bit",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, XR24);
			 hbm_allocation_v1_submit(a, 64, 64, 1u << 9, 1, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_USAGE},
		{"unknown flag",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, XR24);
			 hbm_allocation_v1_submit(a, 64, 64, 0, 1, 2);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_FLAGS},
		{"submit twice",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, XR24);
			 hbm_allocation_v1_submit(a, 64, 64, 0, 1, 0);
			 hbm_allocation_v1_submit(a, 64, 64, 0, 1, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_ALREADY_SUBMITTED},
		{"add_format after submit",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, XR24);
			 hbm_allocation_v1_submit(a, 64, 64, 0, 1, 0);
			 hbm_allocation_v1_add_format(a, XR24);
		 },
		 HBM_ALLOCATION_V1_ERROR_ALREADY_SUBMITTED},
	};
	for (const Case &c : cases) {
		SCOPED_TRACE(c.what);
		RawClient raw(compositor);
		ASSERT_NE(raw.allocator, nullptr);
		const size_t before = compositor.clientCount();
		hbm_allocation_v1 *a = raw.own(hbm_allocator_v1_create_allocation(raw.allocator));
		c.send(a);
		const auto error = raw.error();
		const int failure = wl_display_get_error(raw.display);
		if (std::string(c.what) == "100000 formats" && (failure == EPIPE || failure == EAGAIN)) {
			// The flood outran the error: the socket filled (EAGAIN), or the compositor
			// closed it after the 65th format (EPIPE), before the client read why. The
			// compositor drops it all the same, once it has read that far.
		} else {
			EXPECT_EQ(error, std::make_pair(int(c.code), std::string("hbm_allocation_v1")));
		}
		for (int i = 0; i < 200 && compositor.clientCount() != before - 1; ++i)
			std::this_thread::sleep_for(std::chrono::milliseconds(5));
		EXPECT_EQ(compositor.clientCount(), before - 1) << "the compositor dropped that client";
		// The bystander is still served (a refusal, on this host, is an answer).
		auto answer = bystander.allocator->allocate(xr24());
		EXPECT_FALSE(answer);
		EXPECT_TRUE(answer.error().refusal) << answer.error().message;
		EXPECT_EQ(wl_display_get_error(bystander.display), 0);
	}
	// Set twice: the surface rule.
	RawClient raw(compositor);
	wl_registry *registry = wl_display_get_registry(raw.display);
	wl_compositor *wlc = nullptr;
	static const wl_registry_listener listener = {
		.global =
			[](void *data, wl_registry *r, uint32_t name, const char *interface, uint32_t) {
				if (std::string(interface) == wl_compositor_interface.name)
					*static_cast<wl_compositor **>(data) =
						static_cast<wl_compositor *>(wl_registry_bind(r, name, &wl_compositor_interface, 4));
			},
		.global_remove = [](void *, wl_registry *, uint32_t) {},
	};
	wl_registry_add_listener(registry, &listener, &wlc);
	wl_display_roundtrip(raw.display);
	ASSERT_NE(wlc, nullptr);
	raw.own(wlc);
	wl_surface *surface = raw.own(wl_compositor_create_surface(wlc));
	hbm_allocation_v1 *a = raw.own(hbm_allocator_v1_create_allocation(raw.allocator));
	hbm_allocation_v1_set_surface(a, surface);
	hbm_allocation_v1_set_surface(a, surface);
	EXPECT_EQ(raw.error(), std::make_pair(int(HBM_ALLOCATION_V1_ERROR_SURFACE_SET), std::string("hbm_allocation_v1")));
	wl_registry_destroy(registry);
}

// ---- Real dma-bufs (the lab) ---------------------------------------------------------

TEST(AllocatorDevice, BuffersArriveImportedAndAreAccountedUntilReleased)
{
	HBM_REQUIRE_DEVICE(haveSystemHeap(), "no /dev/dma_heap/system");
	Compositor compositor(optionsWith(systemHeap()));
	ASSERT_EQ(compositor.error(), "");
	Client client(compositor);
	ASSERT_TRUE(client.allocator);
	wayland::AllocatorClient::Options three;
	three.count = 3;
	auto answer = client.allocator->allocate(xr24(256, 128), three);
	ASSERT_TRUE(answer) << answer.error().message;
	EXPECT_EQ(answer->choice.allocator, "dma-heap:system");
	EXPECT_EQ(answer->choice.format, XR24);
	EXPECT_EQ(answer->choice.modifier, DRM_FORMAT_MOD_LINEAR);
	ASSERT_EQ(answer->buffers.size(), 3u);
	uint64_t bytes = 0;
	for (auto &b : answer->buffers) {
		EXPECT_EQ(b->origin(), "import");
		EXPECT_EQ(b->width(), 256u);
		EXPECT_GE(b->layout().planes[0].stride, 256u * 4);
		// The client's CPU writes land in the memory (DMA_BUF_IOCTL_SYNC around them).
		auto access = b->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(access) << access.error().message;
		std::memset(access->plane(0).data(), 0x5a, access->plane(0).size());
		bytes += uint64_t(::lseek(b->planeFd(0).get(), 0, SEEK_END));
	}
	EXPECT_EQ(client.allocator->held(), 3u);
	auto total = compositor.total();
	EXPECT_EQ(total.buffers, 3u);
	EXPECT_EQ(total.bytes, bytes);
	answer->buffers.pop_back();
	EXPECT_EQ(client.allocator->held(), 2u);
	wl_display_roundtrip(client.display);
	EXPECT_EQ(compositor.total().buffers, 2u);
	answer->buffers.clear();
	EXPECT_EQ(client.allocator->held(), 0u);
	wl_display_roundtrip(client.display);
	EXPECT_EQ(compositor.total().buffers, 0u);
	EXPECT_EQ(compositor.total().bytes, 0u);
}

TEST(AllocatorDevice, ADryRunSaysWhatWouldBeChosenAndAllocatesNothing)
{
	HBM_REQUIRE_DEVICE(haveSystemHeap(), "no /dev/dma_heap/system");
	Compositor compositor(optionsWith(systemHeap()));
	ASSERT_EQ(compositor.error(), "");
	Client client(compositor);
	ASSERT_TRUE(client.allocator);
	wayland::AllocatorClient::Options dry;
	dry.dryRun = true;
	auto answer = client.allocator->allocate(xr24(), dry);
	ASSERT_TRUE(answer) << answer.error().message;
	EXPECT_EQ(answer->choice.allocator, "dma-heap:system");
	EXPECT_TRUE(answer->buffers.empty());
	EXPECT_EQ(compositor.total().buffers, 0u);
}

TEST(AllocatorDevice, OverItsQuotaAClientIsRefusedWithTheQuotaAsData)
{
	HBM_REQUIRE_DEVICE(haveSystemHeap(), "no /dev/dma_heap/system");
	wayland::AllocatorQuota quota;
	quota.maxBuffers = 2;
	quota.maxBytes = 1ull << 20;
	quota.buffersSetBy = "[hbm] max-buffers";
	quota.bytesSetBy = "[hbm] max-memory-mb";
	Compositor compositor(optionsWith(systemHeap(), quota));
	ASSERT_EQ(compositor.error(), "");
	Client client(compositor);
	ASSERT_TRUE(client.allocator);
	wayland::AllocatorClient::Options three;
	three.count = 3;
	auto over = client.allocator->allocate(xr24(), three);
	ASSERT_FALSE(over);
	EXPECT_EQ(over.error().code, EDQUOT);
	ASSERT_TRUE(over.error().refusal);
	EXPECT_EQ(over.error().refusal->reason(), RejectReason::QuotaExceeded);
	auto two = client.allocator->allocate(xr24(), wayland::AllocatorClient::Options{2, nullptr, false});
	ASSERT_TRUE(two) << two.error().message;
	EXPECT_FALSE(client.allocator->allocate(xr24()));
	two->buffers.clear();
	// 1024x1024 XR24 is 4 MiB, over the 1 MiB memory quota: refused, nothing kept.
	auto big = client.allocator->allocate(xr24(1024, 1024));
	ASSERT_FALSE(big);
	EXPECT_EQ(big.error().code, EDQUOT);
	EXPECT_EQ(compositor.total().buffers, 0u);
	// Both still connected and served.
	EXPECT_TRUE(client.allocator->allocate(xr24()));
	EXPECT_EQ(wl_display_get_error(client.display), 0);
}

size_t residentKiB()
{
	std::ifstream status("/proc/self/status");
	std::string line;
	while (std::getline(status, line))
		if (line.rfind("VmRSS:", 0) == 0)
			return std::stoul(line.substr(6));
	return 0;
}

// 1,000 clients connect, allocate and go; one dies with its request unanswered. What the
// compositor's side holds is back where it started: buffers, descriptors, memory.
TEST(AllocatorDevice, AThousandClientsComeAndGoAndLeaveNothing)
{
	HBM_REQUIRE_DEVICE(haveSystemHeap(), "no /dev/dma_heap/system");
	Compositor compositor(optionsWith(systemHeap()));
	ASSERT_EQ(compositor.error(), "");
	{
		Client warm(compositor); // the first client's lazily made state is not a leak
		ASSERT_TRUE(warm.allocator->allocate(xr24()));
	}
	EXPECT_EQ(compositor.total().buffers, 0u);
	const size_t fds = openFdCount();
	const size_t rss = residentKiB();
	for (int i = 0; i < 1000; ++i) {
		Client client(compositor);
		ASSERT_TRUE(client.allocator);
		auto answer = client.allocator->allocate(xr24(128, 128));
		ASSERT_TRUE(answer) << answer.error().message;
		// Half leave holding their buffers: the compositor frees them with the client.
		if (i % 2)
			answer->buffers.clear();
	}
	// A client that dies mid-request: it submits and closes its socket unanswered.
	{
		RawClient raw(compositor);
		hbm_allocation_v1 *a = raw.own(hbm_allocator_v1_create_allocation(raw.allocator));
		hbm_allocation_v1_add_format(a, XR24);
		hbm_allocation_v1_submit(a, 64, 64, 0, 4, 0);
		wl_display_flush(raw.display);
	}
	for (int i = 0; i < 100 && compositor.clientCount() != 0; ++i)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	EXPECT_EQ(compositor.clientCount(), 0u);
	EXPECT_EQ(compositor.total().buffers, 0u);
	EXPECT_EQ(compositor.total().bytes, 0u);
	EXPECT_EQ(openFdCount(), fds) << openFdList();
	const size_t after = residentKiB();
	std::printf("1000 clients: descriptors %zu before, %zu after; RSS %zu KiB before, %zu KiB after\n", fds,
		    openFdCount(), rss, after);
#ifndef __SANITIZE_ADDRESS__
	EXPECT_LT(after, rss + 4096) << "RSS grew by more than 4 MiB over 1000 clients";
#else
	// AddressSanitizer keeps freed memory in quarantine (RSS grows by design); its
	// LeakSanitizer checks that nothing is leaked instead.
	(void)after;
#endif
}

} // namespace
} // namespace hbm::test
