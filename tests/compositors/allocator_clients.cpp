// SPDX-License-Identifier: MIT
// Clients of a real compositor's hbm_allocator_v1 (hbm-weston.so in the lab), for what one
// example client cannot show (tests/compositors/allocator-check.sh):
//   --clients N      N connections one after the other, each asking for one buffer and
//                    leaving (every other one still holding it): the compositor must free
//                    what each held;
//   --malformed      one connection per malformed request, each ended by the protocol
//                    error the protocol names, with a well-behaved client served after each;
//   --die-mid-request  a client that submits and closes its socket unanswered.
//   --time N         N buffers asked for one at a time through the compositor, and the same
//                    from the same allocator with hbm in-process: median time per buffer
//                    (--time-via, --time-local: one side alone, for strace -c).
// Exits 0 when every check held; prints one line per check.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <drm_fourcc.h>
#include <fcntl.h>
#include <wayland-client.h>

#include <hbm/allocator.hpp>
#include <hbm/context.hpp>
#include <hbm/unique_fd.hpp>
#include <hbm/wayland/allocator_client.hpp>

#include "hbm-allocator-v1-client-protocol.h"

namespace {

int failures = 0;

void check(bool ok, const std::string &what)
{
	std::printf("%s: %s\n", ok ? "PASS" : "FAIL", what.c_str());
	failures += !ok;
}

hbm::Request smallRequest()
{
	hbm::Request r;
	r.width = 64;
	r.height = 64;
	r.formats = {DRM_FORMAT_XRGB8888};
	r.usage = hbm::UsageCpuWrite;
	return r;
}

/// One connection with libhbm-wayland's AllocatorClient; false (printing why) on failure.
bool oneClient(bool keep, std::string *why)
{
	wl_display *display = wl_display_connect(nullptr);
	if (!display) {
		*why = std::string("cannot connect: ") + std::strerror(errno);
		return false;
	}
	bool ok = false;
	{
		auto client = hbm::wayland::AllocatorClient::create(display);
		if (!client) {
			*why = client.error().message;
		} else {
			auto answer = (*client)->allocate(smallRequest());
			if (!answer)
				*why = answer.error().message;
			else
				ok = answer->buffers.size() == 1;
			if (answer && !keep)
				answer->buffers.clear();
		}
	}
	wl_display_disconnect(display);
	return ok;
}

struct Raw {
	wl_display *display = nullptr;
	hbm_allocator_v1 *allocator = nullptr;
	Raw()
	{
		display = wl_display_connect(nullptr);
		if (!display)
			return;
		wl_registry *registry = wl_display_get_registry(display);
		static const wl_registry_listener listener = {
			.global =
				[](void *data, wl_registry *r, uint32_t name, const char *interface, uint32_t) {
					if (std::strcmp(interface, hbm_allocator_v1_interface.name) == 0)
						static_cast<Raw *>(data)->allocator = static_cast<hbm_allocator_v1 *>(
							wl_registry_bind(r, name, &hbm_allocator_v1_interface, 1));
				},
			.global_remove = [](void *, wl_registry *, uint32_t) {},
		};
		wl_registry_add_listener(registry, &listener, this);
		wl_display_roundtrip(display);
		wl_registry_destroy(registry);
	}
	~Raw()
	{
		if (display)
			wl_display_disconnect(display);
	}
	/// The protocol error code the connection ended with, or -errno, or 0.
	int error()
	{
		wl_display_roundtrip(display);
		const int e = wl_display_get_error(display);
		if (e != EPROTO)
			return -e;
		const wl_interface *interface = nullptr;
		uint32_t id = 0;
		return int(wl_display_get_protocol_error(display, &interface, &id));
	}
};

int malformed()
{
	struct Case {
		const char *what;
		std::function<void(hbm_allocation_v1 *)> send;
		int code;
	};
	const Case cases[] = {
		{"65 formats",
		 [](hbm_allocation_v1 *a) {
			 for (int i = 0; i < 65; ++i)
				 hbm_allocation_v1_add_format(a, DRM_FORMAT_XRGB8888);
		 },
		 HBM_ALLOCATION_V1_ERROR_TOO_MANY_FORMATS},
		{"width 0",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, DRM_FORMAT_XRGB8888);
			 hbm_allocation_v1_submit(a, 0, 64, 0, 1, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_SIZE},
		{"height 100000",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, DRM_FORMAT_XRGB8888);
			 hbm_allocation_v1_submit(a, 64, 100000, 0, 1, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_SIZE},
		{"count 0",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, DRM_FORMAT_XRGB8888);
			 hbm_allocation_v1_submit(a, 64, 64, 0, 0, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_COUNT},
		{"count 17",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, DRM_FORMAT_XRGB8888);
			 hbm_allocation_v1_submit(a, 64, 64, 0, 17, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_COUNT},
		{"usage bit 0x400",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, DRM_FORMAT_XRGB8888);
			 hbm_allocation_v1_submit(a, 64, 64, 0x400, 1, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_INVALID_USAGE},
		{"no format", [](hbm_allocation_v1 *a) { hbm_allocation_v1_submit(a, 64, 64, 0, 1, 0); },
		 HBM_ALLOCATION_V1_ERROR_NO_FORMAT},
		{"submit twice",
		 [](hbm_allocation_v1 *a) {
			 hbm_allocation_v1_add_format(a, DRM_FORMAT_XRGB8888);
			 hbm_allocation_v1_submit(a, 64, 64, 0, 1, 0);
			 hbm_allocation_v1_submit(a, 64, 64, 0, 1, 0);
		 },
		 HBM_ALLOCATION_V1_ERROR_ALREADY_SUBMITTED},
	};
	for (const Case &c : cases) {
		Raw raw;
		if (!raw.allocator) {
			check(false, std::string(c.what) + ": the compositor offers no hbm_allocator_v1");
			continue;
		}
		c.send(hbm_allocator_v1_create_allocation(raw.allocator));
		const int got = raw.error();
		check(got == c.code, std::string(c.what) + ": protocol error " + std::to_string(got) + " (expected " +
					     std::to_string(c.code) + ")");
		std::string why;
		check(oneClient(false, &why), std::string("another client served after '") + c.what + "' " + why);
	}
	return 0;
}

void dieMidRequest()
{
	Raw raw;
	if (!raw.allocator) {
		check(false, "die mid-request: the compositor offers no hbm_allocator_v1");
		return;
	}
	hbm_allocation_v1 *a = hbm_allocator_v1_create_allocation(raw.allocator);
	hbm_allocation_v1_add_format(a, DRM_FORMAT_XRGB8888);
	hbm_allocation_v1_submit(a, 256, 256, 0, 4, 0);
	wl_display_flush(raw.display);
	check(true, "a client submitted 4 buffers and closed its socket unanswered");
}

/// Median of @samples (modified).
double median(std::vector<double> samples)
{
	std::sort(samples.begin(), samples.end());
	return samples.empty() ? 0 : samples[samples.size() / 2];
}

/// Allocates @n 1024x768 XR24 buffers one at a time through the compositor (@via) and/or
/// in this process from the allocator the compositor chose, with @card (root: the lab's
/// vkms card) opened for it, and prints the median time of each. A side run alone is what
/// allocator-check.sh counts system calls of (strace -c).
void timeBuffers(int n, bool via, bool local)
{
	using Clock = std::chrono::steady_clock;
	wl_display *display = wl_display_connect(nullptr);
	if (!display) {
		check(false, "timing: cannot connect to the compositor");
		return;
	}
	auto client = hbm::wayland::AllocatorClient::create(display);
	const char *card = std::getenv("HBM_VKMS_CARD");
	hbm::UniqueFd drm(card ? ::open(card, O_RDWR | O_CLOEXEC) : -1);
	hbm::ContextOptions options;
	if (drm)
		options.drmFds = {drm.get()};
	options.heaps = {"system"};
	auto context = hbm::Context::create(options);
	if (!client || !context) {
		check(false, "timing: " + (client ? context.error().message : client.error().message));
		wl_display_disconnect(display);
		return;
	}
	hbm::Request request = smallRequest();
	request.width = 1024;
	request.height = 768;
	// The allocator the compositor chooses, asked once without allocating.
	hbm::wayland::AllocatorClient::Options dry;
	dry.dryRun = true;
	auto chosen = (*client)->allocate(request, dry);
	if (!chosen) {
		check(false, "timing: " + chosen.error().message);
		wl_display_disconnect(display);
		return;
	}
	hbm::AllocationOptions same;
	same.allocator = chosen->choice.allocator;
	same.modifiers = {DRM_FORMAT_MOD_LINEAR};
	same.usage = request.usage;
	const hbm::BufferDesc desc{request.width, request.height, DRM_FORMAT_XRGB8888};
	std::vector<double> viaCompositor, inProcess, roundtrips;
	for (int i = 0; i < n; ++i) {
		if (via) {
			// What any request costs this client: a bare roundtrip to the compositor.
			auto r0 = Clock::now();
			wl_display_roundtrip(display);
			roundtrips.push_back(std::chrono::duration<double, std::micro>(Clock::now() - r0).count());
			auto t0 = Clock::now();
			auto answer = (*client)->allocate(request);
			viaCompositor.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
			if (!answer) {
				check(false, "timing: " + answer.error().message);
				break;
			}
		}
		if (local) {
			auto t0 = Clock::now();
			auto own = (*context)->allocate(desc, same);
			inProcess.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
			if (!own) {
				check(false, "timing: " + own.error().message);
				break;
			}
		}
	}
	const double a = median(viaCompositor), b = median(inProcess);
	std::printf("timing: %d buffers of 1024x768 XR24 from %s, median:", n, chosen->choice.allocator.c_str());
	if (via)
		std::printf(" via the compositor %.0f us (a bare roundtrip: %.0f us)", a, median(roundtrips));
	if (local)
		std::printf(" in-process %.0f us", b);
	if (via && local)
		std::printf(", ratio %.2f", b > 0 ? a / b : 0);
	std::printf("\n");
	client->reset();
	wl_display_disconnect(display);
}

} // namespace

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; ++i) {
		const std::string a = argv[i];
		if (a == "--clients" && i + 1 < argc) {
			const int n = std::atoi(argv[++i]);
			int served = 0;
			std::string why;
			for (int k = 0; k < n; ++k)
				served += oneClient(k % 2, &why);
			check(served == n, std::to_string(served) + " of " + std::to_string(n) +
						   " clients got their buffer" + (why.empty() ? "" : ": " + why));
		} else if (a == "--malformed") {
			malformed();
		} else if (a == "--die-mid-request") {
			dieMidRequest();
		} else if ((a == "--time" || a == "--time-via" || a == "--time-local") && i + 1 < argc) {
			timeBuffers(std::atoi(argv[++i]), a != "--time-local", a != "--time-via");
		} else {
			std::fprintf(stderr, "usage: hbm-allocator-clients [--clients N] [--malformed] [--die-mid-request] "
					     "[--time N | --time-via N | --time-local N]\n");
			return 64;
		}
	}
	return failures ? 1 : 0;
}
