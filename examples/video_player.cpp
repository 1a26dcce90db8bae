// SPDX-License-Identifier: MIT
// A video player's decode-to-display loop on hbm, with no copy: the stateful decoder
// writes each frame into a buffer hbm negotiated for the decoder's CAPTURE queue AND the
// display's primary plane; the same dma-buf becomes the framebuffer; a buffer goes back
// to the decoder only after the display has let go of it. When the stream changes size
// (the decoder's source-change event), the player negotiates again.
//
//   hbm-video-player [--display DRIVER] [--frames N] [--resize-at K] [--copy]
//                    [--verify [--screendump QEMU-ID]]
//
// The stream is made first with vicodec's FWHT encoder (N frames at 640x480, from frame K
// on at 800x600). --copy is the baseline the benchmark compares against: the decoder
// writes its own (MMAP) buffers and the CPU copies each frame into a scanout buffer.
// --verify compares every displayed frame, read back from the display (vkms writeback; in
// the lab, with --screendump, qemu's screendump of its display device, e.g. "cirrus"),
// with a reference decode into the decoder's own buffers, pixel for pixel.
// The last line is the summary: "frames=… fps=… cpu_us_per_frame=… copies=… …".
//
// Exit status: 0 all frames shown (and matched), 1 a step failed, 77 no decoder or display.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <drm_fourcc.h>
#include <linux/videodev2.h>

#include <hbm/hbm.hpp>
#include <hbm-test/display.hpp>
#include <hbm-test/pattern.hpp>
#include <hbm-test/screendump.hpp>
#include <hbm-test/video.hpp>

using namespace hbm;

namespace {

constexpr int kNoDevices = 77;
constexpr uint32_t kPoolSize = 4;

struct Options {
	std::string display = "vkms";
	uint32_t frames = 12;
	uint32_t resizeAt = 0; ///< 0: one size
	bool copy = false;
	bool verify = false;
	std::string screendump; ///< qemu's id of the display device, to read it back by (lab)
};

int fail(const char *what, const Error &error)
{
	std::fprintf(stderr, "hbm-video-player: %s: %s\n", what, error.toString().c_str());
	return 1;
}

ino_t inodeOf(int fd)
{
	struct stat st = {};
	return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

double cpuSeconds()
{
	struct rusage ru = {};
	::getrusage(RUSAGE_SELF, &ru);
	return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
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
		else {
			std::fprintf(stderr, "usage: hbm-video-player [--display DRIVER] [--frames N] [--resize-at K] [--copy] [--verify [--screendump QEMU-ID]]\n");
			return 2;
		}
	}

	// 1. The devices: the display (as its master: this player owns it) and a stateful
	//    FWHT decoder, found by what its OUTPUT queue takes.
	auto display = test::Display::openByDriver(opt.display);
	auto fwht = test::openVideoByFormat(V4l2Queue::Output, V4L2_PIX_FMT_FWHT);
	if (!display || !fwht) {
		std::fprintf(stderr, "hbm-video-player: %s\n", (!display ? display.error() : fwht.error()).toString().c_str());
		return kNoDevices;
	}
	KmsDevice &kms = (*display)->device();
	V4l2Device &dec = **fwht;
	auto context = Context::create();
	if (!context)
		return fail("hbm context", context.error());

	// 2. A stream to play (a player would read a file), and the reference decode.
	std::vector<test::Frame> source;
	for (uint32_t i = 0; i < opt.frames; ++i)
		source.push_back(opt.resizeAt && i >= opt.resizeAt ? test::movingPicture(800, 600, i)
								   : test::movingPicture(640, 480, i));
	auto stream = test::encodeFwht(source);
	if (!stream)
		return fail("encoding the stream", stream.error());
	std::vector<test::Frame> reference;
	if (opt.verify) {
		auto decoded = test::decodeFwhtReference(*stream);
		if (!decoded)
			return fail("reference decode", decoded.error());
		reference = std::move(*decoded);
	}

	// 3. The decoder: the rig feeds the bitstream and says what to act on next; the
	//    CAPTURE queue (the frames) is the player's.
	test::StatefulDecoder decoder(dec, *stream);
	if (auto started = decoder.start(); !started)
		return fail("starting the decoder", started.error());
	test::VideoQueue &frames = decoder.capture();

	// The display side: the primary plane as a participant.
	auto planes = kms.planeParticipants(**context);
	if (!planes)
		return fail("display planes", planes.error());
	const Participant *primary = findPlane(*planes, PlaneType::Primary);
	if (!primary)
		return fail("display planes", Error{ENODEV, opt.display + " has no primary plane"});

	// State of the loop. In zero-copy mode the pool's buffers are the decoder's CAPTURE
	// buffers; in copy mode the decoder has its own and the pool holds scanout buffers.
	std::shared_ptr<BufferPool> pool;
	std::map<const Buffer *, uint32_t> indexOf; // pool buffer -> CAPTURE buffer index
	std::map<uint32_t, Lease> atDecoder;        // CAPTURE index -> the lease queued there
	struct OnScreen {
		Lease lease;
		std::optional<Framebuffer> fb;
	} onScreen;
	V4l2Device::Format format;
	size_t shown = 0, copies = 0, mismatched = 0, sameDmaBuf = 0, writtenWhileShown = 0;

	// Hands an idle pool buffer to the decoder (zero-copy mode).
	auto queueToDecoder = [&](Lease lease) -> Result<void> {
		if (onScreen.lease && lease.buffer() == onScreen.lease.buffer())
			++writtenWhileShown; // cannot happen: the pool keeps a leased buffer out
		auto [it, added] = indexOf.emplace(lease.buffer().get(), uint32_t(indexOf.size()));
		const uint32_t index = it->second;
		const Buffer &b = *lease;
		if (auto q = frames.queueDmabuf(index, b.planeFd(0).get(), uint32_t(b.layout().size)); !q)
			return q.error();
		atDecoder[index] = std::move(lease);
		return {};
	};

	// 4. The stream's size is known (or changed): negotiate, make a pool, start CAPTURE.
	auto startCapture = [&]() -> Result<void> {
		if (frames.streaming())
			if (auto off = frames.streamOff(); !off)
				return off;
		// The driver takes a new format only with no buffers allocated.
		if (auto freed = frames.request(0, opt.copy ? V4L2_MEMORY_MMAP : V4L2_MEMORY_DMABUF); !freed)
			return freed.error();
		atDecoder.clear(); // the leases go back; the one on screen stays until the next flip
		indexOf.clear();
		pool.reset();
		auto now = dec.format(V4l2Queue::Capture);
		if (!now)
			return now.error();
		const Request request{now->width, now->height, {DRM_FORMAT_XRGB8888}, UsageScanout};
		std::vector<Participant> participants{*primary};
		if (!opt.copy) {
			// The CAPTURE queue at the stream's size, with the layout the driver insists on.
			auto queue = dec.participant(V4l2Queue::Capture, now->width, now->height);
			if (!queue)
				return queue.error();
			participants.push_back(std::move(*queue));
		}
		auto made = BufferPool::create(*context, request, participants, kPoolSize);
		if (!made)
			return made.error();
		pool = *made;
		for (const std::string &line : pool->plan().trace())
			std::printf("plan: %s\n", line.c_str());
		if (opt.copy) {
			// The decoder's own buffers, XBGR32 (XRGB8888 in DRM's words).
			auto set = frames.setFormat(V4L2_PIX_FMT_XBGR32, now->width, now->height);
			if (!set)
				return set.error();
			format = *set;
			auto n = frames.request(kPoolSize, V4L2_MEMORY_MMAP);
			if (!n)
				return n.error();
			for (uint32_t i = 0; i < *n; ++i)
				if (auto q = frames.queueMmap(i, 0); !q)
					return q;
		} else {
			auto first = pool->acquire();
			if (!first)
				return first.error();
			auto set = dec.setFormat(V4l2Queue::Capture, (*first)->layout());
			if (!set)
				return set.error();
			format = *set;
			auto n = frames.request(kPoolSize, V4L2_MEMORY_DMABUF);
			if (!n)
				return n.error();
			if (auto q = queueToDecoder(std::move(*first)); !q)
				return q;
			for (uint32_t i = 1; i < *n; ++i) {
				auto lease = pool->acquire();
				if (!lease)
					break; // fewer buffers: one is still on screen
				if (auto q = queueToDecoder(std::move(*lease)); !q)
					return q;
			}
		}
		return frames.streamOn();
	};

	// 5. A decoded frame: show it, then give the buffer that left the screen back.
	auto show = [&](const test::VideoQueue::Done &done) -> Result<void> {
		Lease lease;
		if (opt.copy) {
			auto target = pool->acquire();
			if (!target)
				return target.error();
			auto cpu = (*target)->beginCpuAccess(CpuAccessMode::Write);
			if (!cpu)
				return cpu.error();
			const uint32_t stride = (*target)->layout().planes[0].stride;
			for (uint32_t y = 0; y < format.height; ++y)
				std::memcpy(cpu->plane(0).data() + size_t(y) * stride,
					    frames.data(done.index) + size_t(y) * format.bytesPerLine, size_t(format.width) * 4);
			++copies;
			lease = std::move(*target);
			if (auto q = frames.queueMmap(done.index, 0); !q)
				return q;
		} else {
			lease = std::move(atDecoder[done.index]);
			atDecoder.erase(done.index);
			sameDmaBuf += inodeOf(done.fd) == inodeOf(lease->planeFd(0).get());
		}
		auto fb = kms.addFramebuffer(*lease);
		if (!fb)
			return fb.error();
		if (auto flipped = (*display)->flip(*fb); !flipped)
			return flipped;
		// The flip completed: the previous frame is off the screen; its buffer may go back.
		OnScreen previous = std::move(onScreen);
		onScreen.lease = std::move(lease);
		onScreen.fb = std::move(*fb);
		previous.fb.reset();
		if (previous.lease)
			(void)previous.lease.release();
		if (opt.verify && shown < reference.size()) {
			auto diff = compareOnScreen(**display, **context, reference[shown], opt.screendump);
			if (!diff)
				return diff.error();
			if (auto same = diff->result("differ from the reference decode", "expected"); !same) {
				std::fprintf(stderr, "frame %zu: %s\n", shown, same.error().message.c_str());
				++mismatched;
			}
		}
		++shown;
		if (!opt.copy && pool) {
			// Refill the decoder with whatever the pool has idle now.
			while (atDecoder.size() < kPoolSize) {
				auto idle = pool->acquire();
				if (!idle)
					break;
				if (auto q = queueToDecoder(std::move(*idle)); !q)
					return q;
			}
		}
		return {};
	};

	// 6. The loop: a frame is shown, a source change renegotiates, the end ends.
	const auto start = std::chrono::steady_clock::now();
	const double cpuStart = cpuSeconds();
	for (bool end = false; !end;) {
		auto event = decoder.next();
		if (!event)
			return fail("decoding", event.error());
		switch (event->step) {
		case test::StatefulDecoder::Step::End:
			end = true;
			break;
		case test::StatefulDecoder::Step::SourceChange:
			if (auto s = startCapture(); !s)
				return fail("negotiating for the stream's size", s.error());
			break;
		case test::StatefulDecoder::Step::Frame: {
			const test::VideoQueue::Done &done = event->done;
			if (done.bytesUsed && !(done.flags & V4L2_BUF_FLAG_ERROR)) {
				if (auto s = show(done); !s)
					return fail("showing a frame", s.error());
			} else if (!opt.copy && atDecoder.count(done.index)) {
				// An empty buffer (the marker before a source change): back to the pool.
				(void)atDecoder[done.index].release();
				atDecoder.erase(done.index);
			}
			break;
		}
		}
	}
	const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	const double cpu = cpuSeconds() - cpuStart;
	onScreen = {};

	std::printf("frames=%zu fps=%.2f cpu_us_per_frame=%.0f copies=%zu same_dmabuf=%zu written_while_shown=%zu "
		    "mismatched=%zu mode=%s display=%s\n",
		    shown, shown / seconds, shown ? cpu * 1e6 / double(shown) : 0.0, copies, sameDmaBuf, writtenWhileShown,
		    mismatched, opt.copy ? "copy" : "zero-copy", opt.display.c_str());
	const bool allShown = shown == opt.frames;
	if (!allShown)
		std::fprintf(stderr, "hbm-video-player: %zu of %u frames shown\n", shown, opt.frames);
	return allShown && !mismatched && !writtenWhileShown && (opt.copy || sameDmaBuf == shown) ? 0 : 1;
}
