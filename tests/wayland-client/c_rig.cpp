// SPDX-License-Identifier: MIT
#include "c_rig.h"

#include <memory>

#include <sys/sysmacros.h>

#include <drm_fourcc.h>
#include <wayland-client.h>

#include "../fakes/dma_buf_stand_in.hpp"
#include "../fakes/process_resources.hpp"
#include "scripted_server.hpp"

namespace {

using hbm::test::ScriptedFeedback;

std::unique_ptr<hbm::test::ScriptedServer> server;
wl_display *display = nullptr;

/// On devices neither the host nor the lab has, so the test means the same in both.
ScriptedFeedback feedback(bool withXrgb)
{
	ScriptedFeedback f;
	f.table = {{DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID}, {DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR},
		   {DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_INVALID}, {DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR}};
	f.mainDevice = makedev(226, 200);
	if (withXrgb) {
		f.tranches.push_back({makedev(226, 201), {1}, 1});
		f.tranches.push_back({makedev(226, 200), {0, 1, 2, 3}, 0});
	} else {
		f.tranches.push_back({makedev(226, 200), {2, 3}, 0});
	}
	return f;
}

} // namespace

extern "C" {

wl_display *rig_connect(void)
{
	hbm::test::ServerScript script;
	script.defaultFeedback = feedback(true);
	server = std::make_unique<hbm::test::ScriptedServer>(script);
	display = server->connect();
	return display;
}

void rig_disconnect(void)
{
	if (display)
		wl_display_disconnect(display);
	display = nullptr;
	server.reset();
}

void rig_drop_xrgb(void)
{
	server->resendDefault(feedback(false));
}

uint32_t rig_live_buffers(void)
{
	return server->liveBuffers();
}

uint32_t rig_received_count(void)
{
	return uint32_t(server->received().size());
}

uint64_t rig_received_modifier(uint32_t index)
{
	return server->received().at(index).planes.at(0).modifier;
}

int rig_stand_in(uint64_t size)
{
	return hbm::test::makeDmaBufStandIn(size).release();
}

int rig_open_fds(void)
{
	wl_display_roundtrip(display);
	server->run([] {});
	return int(hbm::test::openFdCount());
}

} // extern "C"
