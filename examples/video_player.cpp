// SPDX-License-Identifier: MIT
// Plays an FWHT stream (vicodec's codec) from a file on a display, with no copy: the
// stateful decoder writes each frame into a buffer hbm negotiated for the decoder's CAPTURE
// queue and the display's primary plane, and that buffer is the framebuffer. The loop is
// examples/video/player.cpp; the V4L2 half (queues, the stateful decoder) and the little
// modesetting a player needs are beside it, all over public headers: copy them.
//
//   hbm-video-player FILE [--display DRIVER] [--copy]
//
// --copy is the usual loop, for comparison: the decoder writes its own (MMAP) buffers and
// the CPU copies each frame into a scanout buffer. The display must be free (no compositor
// holds it): the player modesets it as DRM master.
// The last line is the summary: "frames=… fps=… cpu_us_per_frame=… copies=… mode=…".
//
// Exit status: 0 played, 1 a step failed, 2 bad arguments, 77 no decoder or display.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <linux/videodev2.h>

#include <hbm/hbm.hpp>

#include "video/display.hpp"
#include "video/m2m_queue.hpp"
#include "video/player.hpp"

int main(int argc, char **argv)
{
	std::string file, driver = "vkms";
	bool copy = false;
	for (int i = 1; i < argc; ++i) {
		const std::string a = argv[i];
		if (a == "--display" && i + 1 < argc)
			driver = argv[++i];
		else if (a == "--copy")
			copy = true;
		else if (file.empty() && a[0] != '-')
			file = a;
		else
			file.clear(), i = argc;
	}
	if (file.empty()) {
		std::fprintf(stderr, "usage: hbm-video-player FILE [--display DRIVER] [--copy]\n");
		return 2;
	}
	std::ifstream in(file, std::ios::binary);
	const std::vector<uint8_t> stream{std::istreambuf_iterator<char>(in), {}};
	if (!in || stream.empty()) {
		std::fprintf(stderr, "hbm-video-player: cannot read %s\n", file.c_str());
		return 1;
	}

	// The devices: a stateful FWHT decoder, found by what its OUTPUT queue takes, and the
	// display. A context that probes the machine: any allocator may serve the plan.
	auto decoder = video::openByFormat(hbm::V4l2Queue::Output, V4L2_PIX_FMT_FWHT);
	auto display = video::Display::open(driver);
	if (!decoder || !display) {
		std::fprintf(stderr, "hbm-video-player: %s\n", (!decoder ? decoder.error() : display.error()).toString().c_str());
		return 77;
	}
	auto context = hbm::Context::create();
	if (!context) {
		std::fprintf(stderr, "hbm-video-player: %s\n", context.error().toString().c_str());
		return 1;
	}

	video::Player::Hooks hooks;
	hooks.negotiated = [](const hbm::BufferPool &pool) {
		// How hbm chose the layout: who constrained what, which allocator makes it.
		for (const std::string &line : pool.plan().trace())
			std::printf("plan: %s\n", line.c_str());
	};
	video::Player player(*context, **display, **decoder, {.codedFormat = V4L2_PIX_FMT_FWHT, .copy = copy},
			     std::move(hooks));
	auto played = player.play(stream);
	if (!played) {
		std::fprintf(stderr, "hbm-video-player: %s\n", played.error().toString().c_str());
		return 1;
	}
	std::printf("%s\n", played->summary().c_str());
	return 0;
}
