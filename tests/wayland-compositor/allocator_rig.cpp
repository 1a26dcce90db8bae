// SPDX-License-Identifier: MIT
#include "allocator_rig.h"

#include <cstdio>
#include <memory>

#include <wayland-client.h>

#include <hbm/context.hpp>

#include "allocator_harness.hpp"

namespace {

std::unique_ptr<hbm::test::Compositor> compositor;
wl_display *client = nullptr;

} // namespace

extern "C" {

wl_display *allocator_rig_connect(int with_memory)
{
	hbm::ContextOptions options;
	if (with_memory)
		options.heaps = {"system"};
	auto context = hbm::Context::create(options);
	if (!context) {
		std::fprintf(stderr, "allocator rig: %s\n", context.error().message.c_str());
		return nullptr;
	}
	hbm::wayland::AllocatorServerOptions o;
	o.context = *context;
	o.participantsFor = [](const hbm::wayland::AllocationQuery &) -> hbm::Result<std::vector<hbm::Participant>> {
		return std::vector<hbm::Participant>{};
	};
	compositor = std::make_unique<hbm::test::Compositor>(std::move(o));
	if (!compositor->error().empty()) {
		std::fprintf(stderr, "allocator rig: %s\n", compositor->error().c_str());
		return nullptr;
	}
	client = wl_display_connect_to_fd(compositor->connect());
	return client;
}

void allocator_rig_stop(void)
{
	if (client)
		wl_display_disconnect(client);
	client = nullptr;
	compositor.reset();
}

uint32_t allocator_rig_held(void)
{
	return compositor ? compositor->total().buffers : 0;
}

uint64_t allocator_rig_served(void)
{
	return compositor ? compositor->answered().first : 0;
}

uint64_t allocator_rig_refused(void)
{
	return compositor ? compositor->answered().second : 0;
}

} // extern "C"
