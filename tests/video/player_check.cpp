// SPDX-License-Identifier: MIT
// The video player example (examples/video/player.cpp) checked on real drivers: the rig
// makes a stream with vicodec's FWHT encoder (N frames at 640x480, from frame K on at
// 800x600) and its reference decode; the player plays it through the very Player a user
// copies, and its hooks let this program watch every step: each shown frame is read back
// from the display (vkms writeback; with --screendump, qemu's screendump of its display
// device, e.g. "cirrus") and compared with the reference pixel for pixel; each frame's
// framebuffer must be the dma-buf the decoder wrote; no buffer may go to the decoder while
// it is on the screen.
//
//   hbm-video-player-check [--display DRIVER] [--frames N] [--resize-at K] [--copy]
//                          [--verify [--screendump QEMU-ID]] [--write-stream FILE]
//
// --write-stream writes the stream for examples/video_player.cpp and exits.
// The last line is the summary: the player's "frames=… fps=… cpu_us_per_frame=… copies=…
// mode=…", then "same_dmabuf=… written_while_shown=… mismatched=… display=…".
// Exit status: 0 all frames shown (and matched), 1 a step or a check failed, 77 no decoder
// or display.
#include <cstdio>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <drm_fourcc.h>
#include <linux/videodev2.h>

#include <hbm/hbm.hpp>
#include <hbm-test/display.hpp>
#include <hbm-test/pattern.hpp>
#include <hbm-test/screendump.hpp>
#include <hbm-test/video.hpp>

#include "video/player.hpp"

using namespace hbm;

namespace {

constexpr int kNoDevices = 77;

struct Options {
	std::string display = "vkms";
	uint32_t frames = 12;
	uint32_t resizeAt = 0; ///< 0: one size
	bool copy = false;
	bool verify = false;
	std::string screendump; ///< qemu's id of the display device, to read it back by (lab)
	std::string writeStream;
};

int fail(const char *what, const Error &error)
{
	std::fprintf(stderr, "hbm-video-player-check: %s: %s\n", what, error.toString().c_str());
	return 1;
}

ino_t inodeOf(int fd)
{
	struct stat st = {};
	return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/// Reads back what the display shows — through vkms's writeback connector, or with
/// @qemuDevice qemu's screendump of it in the lab — and compares it with @expected.
Result<test::PixelDiff> compareOnScreen(test::Display &display, Context &context, const test::Frame &expected,
					const std::string &qemuDevice)
{
	test::PixelDiff diff;
	auto want = [&](uint32_t x, uint32_t y) { return expected.pixels[size_t(y) * expected.width + x] & 0xffffffu; };
	if (!qemuDevice.empty()) {
		auto screen = test::screendump(qemuDevice);
		if (!screen)
			return screen.error();
		if (screen->width != expected.width || screen->height != expected.height)
			return Error{EIO, "the screen shows " + std::to_string(screen->width) + "x" +
						  std::to_string(screen->height) + ", not the frame's size"};
		for (uint32_t y = 0; y < expected.height; ++y)
			for (uint32_t x = 0; x < expected.width; ++x)
				diff.add(x, y, screen->pixel(x, y), want(x, y));
		return diff;
	}
	auto capture = context.allocate({expected.width, expected.height, DRM_FORMAT_XRGB8888});
	if (!capture)
		return capture.error();
	auto target = display.device().addFramebuffer(**capture);
	if (!target)
		return target.error();
	if (auto done = display.captureWriteback(*target); !done) // fails naming a display without one
		return done.error();
	auto read = (*capture)->beginCpuAccess(CpuAccessMode::Read);
	if (!read)
		return read.error();
	const uint32_t stride = (*capture)->layout().planes[0].stride;
	for (uint32_t y = 0; y < expected.height; ++y) {
		auto *row = reinterpret_cast<const uint32_t *>(read->plane(0).data() + size_t(y) * stride);
		for (uint32_t x = 0; x < expected.width; ++x)
			diff.add(x, y, row[x] & 0xffffffu, want(x, y));
	}
	return diff;
}

} // namespace

int main(int argc, char **argv)
{
	Options opt;
	for (int i = 1; i < argc; ++i) {
		std::string a = argv[i];
		if (a == "--display" && i + 1 < argc)
			opt.display = argv[++i];
		else if (a == "--frames" && i + 1 < argc)
			opt.frames = uint32_t(std::stoul(argv[++i]));
		else if (a == "--resize-at" && i + 1 < argc)
			opt.resizeAt = uint32_t(std::stoul(argv[++i]));
		else if (a == "--copy")
			opt.copy = true;
		else if (a == "--verify")
			opt.verify = true;
		else if (a == "--screendump" && i + 1 < argc)
			opt.screendump = argv[++i];
		else if (a == "--write-stream" && i + 1 < argc)
			opt.writeStream = argv[++i];
		else {
			std::fprintf(stderr, "usage: hbm-video-player-check [--display DRIVER] [--frames N] [--resize-at K] [--copy] "
					     "[--verify [--screendump QEMU-ID]] [--write-stream FILE]\n");
			return 2;
		}
	}

	// The stream (a player would read a file), and the reference decode.
	std::vector<test::Frame> source;
	for (uint32_t i = 0; i < opt.frames; ++i)
		source.push_back(opt.resizeAt && i >= opt.resizeAt ? test::movingPicture(800, 600, i)
								   : test::movingPicture(640, 480, i));
	auto stream = test::encodeFwht(source);
	if (!stream && stream.error().code == ENODEV) {
		std::fprintf(stderr, "hbm-video-player-check: %s\n", stream.error().toString().c_str());
		return kNoDevices;
	}
	if (!stream)
		return fail("encoding the stream", stream.error());
	if (!opt.writeStream.empty()) {
		std::ofstream out(opt.writeStream, std::ios::binary);
		out.write(reinterpret_cast<const char *>(stream->data()), std::streamsize(stream->size()));
		return out ? 0 : fail("writing the stream", Error{EIO, "cannot write " + opt.writeStream});
	}
	std::vector<test::Frame> reference;
	if (opt.verify) {
		auto decoded = test::decodeFwhtReference(*stream);
		if (!decoded)
			return fail("reference decode", decoded.error());
		reference = std::move(*decoded);
	}

	// The devices, as the example finds them; the display with writeback, to read it back.
	auto display = test::Display::openByDriver(opt.display);
	auto fwht = video::openByFormat(V4l2Queue::Output, V4L2_PIX_FMT_FWHT);
	if (!display || !fwht) {
		std::fprintf(stderr, "hbm-video-player-check: %s\n", (!display ? display.error() : fwht.error()).toString().c_str());
		return kNoDevices;
	}
	auto context = Context::create();
	if (!context)
		return fail("hbm context", context.error());

	// What the hooks see.
	size_t mismatched = 0, sameDmaBuf = 0, writtenWhileShown = 0;
	const Buffer *onScreen = nullptr;
	video::Player::Hooks hooks;
	hooks.negotiated = [](const BufferPool &pool) {
		for (const std::string &line : pool.plan().trace())
			std::printf("plan: %s\n", line.c_str());
	};
	hooks.queued = [&](const Buffer &buffer) { writtenWhileShown += &buffer == onScreen; };
	hooks.shown = [&](const video::Player::Shown &shown) -> Result<void> {
		onScreen = &shown.buffer;
		if (shown.decodedFd >= 0)
			sameDmaBuf += inodeOf(shown.decodedFd) == inodeOf(shown.buffer.planeFd(0).get());
		if (!opt.verify || shown.index >= reference.size())
			return {};
		auto diff = compareOnScreen(**display, **context, reference[shown.index], opt.screendump);
		if (!diff)
			return diff.error();
		if (auto same = diff->result("differ from the reference decode", "expected"); !same) {
			std::fprintf(stderr, "frame %zu: %s\n", shown.index, same.error().message.c_str());
			++mismatched;
		}
		return {};
	};
	video::Player player(*context, (*display)->output(), **fwht, {.codedFormat = V4L2_PIX_FMT_FWHT, .copy = opt.copy},
			     std::move(hooks));
	auto played = player.play(*stream);
	if (!played)
		return fail("playing", played.error());

	std::printf("%s same_dmabuf=%zu written_while_shown=%zu mismatched=%zu display=%s\n", played->summary().c_str(),
		    sameDmaBuf, writtenWhileShown, mismatched, opt.display.c_str());
	const bool allShown = played->shown == opt.frames;
	if (!allShown)
		std::fprintf(stderr, "hbm-video-player-check: %zu of %u frames shown\n", played->shown, opt.frames);
	return allShown && !mismatched && !writtenWhileShown && (opt.copy || sameDmaBuf == played->shown) ? 0 : 1;
}
