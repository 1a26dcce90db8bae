// SPDX-License-Identifier: MIT
#include "player.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>

#include <drm_fourcc.h>
#include <linux/videodev2.h>

using hbm::Error;
using hbm::Result;

namespace video {

namespace {

double cpuSeconds()
{
	struct rusage ru = {};
	::getrusage(RUSAGE_SELF, &ru);
	return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

} // namespace

std::string Player::Stats::summary() const
{
	char line[160];
	std::snprintf(line, sizeof(line), "frames=%zu fps=%.2f cpu_us_per_frame=%.0f copies=%zu mode=%s", shown,
		      seconds > 0 ? double(shown) / seconds : 0.0, shown ? cpuSeconds * 1e6 / double(shown) : 0.0,
		      copies, copy ? "copy" : "zero-copy");
	return line;
}

Player::Player(std::shared_ptr<hbm::Context> context, Display &display, hbm::V4l2Device &decoder, Options options,
	       Hooks hooks)
	: context_(std::move(context)), display_(display), decoder_(decoder), options_(options), hooks_(std::move(hooks))
{
}

// Hands an idle pool buffer to the decoder (zero-copy mode). The pool keeps a leased buffer
// out, so the one on screen is never among them.
Result<void> Player::queueToDecoder(M2mQueue &frames, hbm::Lease lease)
{
	const hbm::Buffer &buffer = *lease;
	auto [it, added] = indexOf_.emplace(&buffer, uint32_t(indexOf_.size()));
	if (hooks_.queued)
		hooks_.queued(buffer);
	if (auto q = frames.queueDmabuf(it->second, buffer.planeFd(0).get(), uint32_t(buffer.layout().size)); !q)
		return q;
	atDecoder_[it->second] = std::move(lease);
	return {};
}

// Gives the decoder whatever the pool has idle.
Result<void> Player::refill(M2mQueue &frames)
{
	while (atDecoder_.size() < options_.poolSize) {
		auto idle = pool_->acquire();
		if (!idle)
			break; // the rest are on screen (or on their way off)
		if (auto q = queueToDecoder(frames, std::move(*idle)); !q)
			return q;
	}
	return {};
}

// The stream's size is known (or changed): negotiate, make a pool, start CAPTURE.
Result<void> Player::startCapture(M2mQueue &frames)
{
	if (frames.streaming())
		if (auto off = frames.streamOff(); !off)
			return off;
	// The driver takes a new format only with no buffers allocated.
	if (auto freed = frames.request(0, options_.copy ? V4L2_MEMORY_MMAP : V4L2_MEMORY_DMABUF); !freed)
		return freed.error();
	atDecoder_.clear(); // the leases go back; the one on screen stays until the next flip
	indexOf_.clear();
	pool_.reset();
	auto now = decoder_.format(hbm::V4l2Queue::Capture);
	if (!now)
		return now.error();
	const hbm::Request request{now->width, now->height, {DRM_FORMAT_XRGB8888}, hbm::UsageScanout};
	std::vector<hbm::Participant> participants{*primary_};
	if (!options_.copy) {
		// The CAPTURE queue at the stream's size, with the layout the driver insists on.
		auto queue = decoder_.participant(hbm::V4l2Queue::Capture, now->width, now->height);
		if (!queue)
			return queue.error();
		participants.push_back(std::move(*queue));
	}
	auto made = hbm::BufferPool::create(context_, request, participants, options_.poolSize);
	if (!made)
		return made.error();
	pool_ = *made;
	if (hooks_.negotiated)
		hooks_.negotiated(*pool_);
	if (options_.copy) {
		// The decoder's own buffers, XBGR32 (XRGB8888 in DRM's words).
		auto set = frames.setFormat(V4L2_PIX_FMT_XBGR32, now->width, now->height);
		if (!set)
			return set.error();
		format_ = *set;
		auto n = frames.request(options_.poolSize, V4L2_MEMORY_MMAP);
		if (!n)
			return n.error();
		for (uint32_t i = 0; i < *n; ++i)
			if (auto q = frames.queueMmap(i, 0); !q)
				return q;
	} else {
		// The queue takes the negotiated layout, or refuses it naming what it would do.
		auto first = pool_->acquire();
		if (!first)
			return first.error();
		auto set = decoder_.setFormat(hbm::V4l2Queue::Capture, (*first)->layout());
		if (!set)
			return set.error();
		format_ = *set;
		auto n = frames.request(options_.poolSize, V4L2_MEMORY_DMABUF);
		if (!n)
			return n.error();
		// Buffer indexes follow the pool's buffers, one for one.
		if (*n < options_.poolSize)
			return Error{ENOMEM, decoder_.path() + " gave " + std::to_string(*n) + " CAPTURE buffers of the " +
						     std::to_string(options_.poolSize) + " asked for"};
		if (auto q = queueToDecoder(frames, std::move(*first)); !q)
			return q;
		if (auto q = refill(frames); !q)
			return q;
	}
	return frames.streamOn();
}

// A decoded frame: show it, then give the buffer that left the screen back.
Result<void> Player::show(M2mQueue &frames, const M2mQueue::Done &done)
{
	hbm::Lease lease;
	if (options_.copy) {
		auto target = pool_->acquire();
		if (!target)
			return target.error();
		auto cpu = (*target)->beginCpuAccess(hbm::CpuAccessMode::Write);
		if (!cpu)
			return cpu.error();
		const uint32_t stride = (*target)->layout().planes[0].stride;
		for (uint32_t y = 0; y < format_.height; ++y)
			std::memcpy(cpu->plane(0).data() + size_t(y) * stride,
				    frames.data(done.index) + size_t(y) * format_.bytesPerLine, size_t(format_.width) * 4);
		++stats_.copies;
		lease = std::move(*target);
		if (auto q = frames.queueMmap(done.index, 0); !q)
			return q;
	} else {
		lease = std::move(atDecoder_[done.index]);
		atDecoder_.erase(done.index);
	}
	auto fb = display_.device().addFramebuffer(*lease);
	if (!fb)
		return fb.error();
	if (auto flipped = display_.flip(*fb); !flipped)
		return flipped;
	// The flip completed: the previous frame is off the screen; its buffer may go back.
	OnScreen previous = std::move(onScreen_);
	onScreen_.lease = std::move(lease);
	onScreen_.fb = std::move(*fb);
	previous.fb.reset();
	if (previous.lease)
		(void)previous.lease.release();
	if (hooks_.shown)
		if (auto watched = hooks_.shown({stats_.shown, *onScreen_.lease, options_.copy ? -1 : done.fd}); !watched)
			return watched;
	++stats_.shown;
	return options_.copy ? Result<void>() : refill(frames);
}

Result<Player::Stats> Player::play(const std::vector<uint8_t> &stream)
{
	// The display side: the primary plane as a participant.
	auto planes = display_.device().planeParticipants(*context_);
	if (!planes)
		return planes.error();
	const hbm::Participant *primary = hbm::findPlane(*planes, hbm::PlaneType::Primary);
	if (!primary)
		return Error{ENODEV, display_.device().path() + " has no primary plane"};
	primary_ = *primary;

	StatefulDecoder decoder(decoder_, stream);
	if (auto started = decoder.start(options_.codedFormat); !started)
		return started.error();
	M2mQueue &frames = decoder.capture();
	stats_ = {};
	stats_.copy = options_.copy;

	// A frame is shown, a source change renegotiates, the end ends.
	const auto start = std::chrono::steady_clock::now();
	const double cpuStart = cpuSeconds();
	Result<void> failed;
	for (bool end = false; !end && failed;) {
		auto event = decoder.next();
		if (!event) {
			failed = event.error();
			break;
		}
		switch (event->step) {
		case StatefulDecoder::Step::End:
			end = true;
			break;
		case StatefulDecoder::Step::SourceChange:
			failed = startCapture(frames);
			break;
		case StatefulDecoder::Step::Frame: {
			const M2mQueue::Done &done = event->done;
			if (done.bytesUsed && !(done.flags & V4L2_BUF_FLAG_ERROR)) {
				failed = show(frames, done);
			} else if (!options_.copy && atDecoder_.count(done.index)) {
				// An empty buffer (the marker before a source change): back to the pool.
				(void)atDecoder_[done.index].release();
				atDecoder_.erase(done.index);
			}
			break;
		}
		}
	}
	stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	stats_.cpuSeconds = cpuSeconds() - cpuStart;
	// Off the screen and out of the decoder before the decoder's queues go.
	onScreen_ = {};
	atDecoder_.clear();
	indexOf_.clear();
	pool_.reset();
	if (!failed)
		return failed.error();
	return stats_;
}

} // namespace video
