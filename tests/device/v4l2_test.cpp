// SPDX-License-Identifier: MIT
// A camera and a display sharing one buffer, with no copy: hbm negotiates a buffer for the
// vivid capture queue and the vkms primary plane; vivid fills it through V4L2 DMABUF
// import; vkms scans the same dma-buf out; the writeback capture equals what vivid wrote.
#include <cstring>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <drm_fourcc.h>
#include <linux/videodev2.h>

#include <hbm/hbm.hpp>

#include "device_test.hpp"
#include <hbm-test/video.hpp>

using namespace hbm;
using namespace hbm::test;

namespace {

int xioctl(int fd, unsigned long request, void *arg)
{
	int ret;
	do {
		ret = ::ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

} // namespace

TEST(V4l2, ParticipantsMapFormatsAndNeedDmabuf)
{
	auto vivid = V4l2Device::openByDriver("vivid", V4l2Queue::Capture);
	HBM_REQUIRE_DEVICE(vivid.ok(), vivid ? "" : vivid.error().message);
	auto camera = (*vivid)->participant(V4l2Queue::Capture, 1280, 720);
	ASSERT_TRUE(camera) << camera.error().toString();
	EXPECT_TRUE(camera->constraints.formats.contains(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR))
		<< camera->constraints.formats.toString();
	EXPECT_TRUE(camera->constraints.formats.containsFormat(DRM_FORMAT_NV12));
	EXPECT_NE(camera->source.find("DMABUF import"), std::string::npos) << camera->source;
	EXPECT_EQ(V4l2Device::drmFormat(V4L2_PIX_FMT_XBGR32), DRM_FORMAT_XRGB8888);
	EXPECT_EQ(V4l2Device::v4l2Format(DRM_FORMAT_NV12), V4L2_PIX_FMT_NV12);
}

TEST(V4l2, VividFillsTheBufferVkmsScansTheSameBufferOut)
{
	auto vivid = V4l2Device::openByDriver("vivid", V4l2Queue::Capture);
	HBM_REQUIRE_DEVICE(vivid.ok(), vivid ? "" : vivid.error().message);
	ASSERT_FALSE((*vivid)->multiplanar(V4l2Queue::Capture)) << "this test drives the single-planar API";
	auto display = Display::openByDriver("vkms");
	HBM_REQUIRE_DEVICE(display.ok(), display ? "" : display.error().message);
	KmsDevice &vkms = (*display)->device();
	auto primary = planeParticipant(vkms, PlaneType::Primary);
	ASSERT_TRUE(primary) << "vkms has no primary plane";

	// Negotiated for both: vkms reads no YUV, so NV12 (preferred here) gives way.
	auto camera = (*vivid)->participant(V4l2Queue::Capture, 1280, 720);
	ASSERT_TRUE(camera) << camera.error().toString();
	auto described = context()->describe({1280, 720, {DRM_FORMAT_NV12, DRM_FORMAT_XRGB8888}, UsageScanout});
	ASSERT_TRUE(described);
	ASSERT_TRUE((*described)->attach(*camera));
	ASSERT_TRUE((*described)->attach(*primary));
	auto made = (*described)->allocate();
	ASSERT_TRUE(made) << made.error().toString();
	auto buffer = *made;
	ASSERT_EQ(buffer->format(), DRM_FORMAT_XRGB8888);
	const Layout &layout = buffer->layout();
	{
		auto cpu = buffer->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(cpu);
		std::memset(cpu->plane(0).data(), 0, cpu->plane(0).size());
	}

	// The camera writes into hbm's buffer: its format, at hbm's stride.
	int fd = (*vivid)->fd();
	struct v4l2_format fmt = {};
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	fmt.fmt.pix.width = layout.width;
	fmt.fmt.pix.height = layout.height;
	fmt.fmt.pix.pixelformat = V4l2Device::v4l2Format(layout.format);
	fmt.fmt.pix.bytesperline = layout.planes[0].stride;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	ASSERT_EQ(xioctl(fd, VIDIOC_S_FMT, &fmt), 0) << strerror(errno);
	ASSERT_EQ(fmt.fmt.pix.width, layout.width);
	ASSERT_EQ(fmt.fmt.pix.bytesperline, layout.planes[0].stride) << "vivid changed the stride";
	ASSERT_LE(fmt.fmt.pix.sizeimage, layout.size);

	struct v4l2_requestbuffers req = {};
	req.count = 1;
	req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	req.memory = V4L2_MEMORY_DMABUF;
	ASSERT_EQ(xioctl(fd, VIDIOC_REQBUFS, &req), 0) << strerror(errno);
	struct v4l2_buffer vbuf = {};
	vbuf.index = 0;
	vbuf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	vbuf.memory = V4L2_MEMORY_DMABUF;
	vbuf.m.fd = buffer->planeFd(0).get();
	vbuf.length = uint32_t(layout.size);
	ASSERT_EQ(xioctl(fd, VIDIOC_QBUF, &vbuf), 0) << strerror(errno);
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ASSERT_EQ(xioctl(fd, VIDIOC_STREAMON, &type), 0) << strerror(errno);
	struct pollfd pfd = {fd, POLLIN, 0};
	ASSERT_EQ(::poll(&pfd, 1, 10000), 1) << "vivid produced no frame";
	struct v4l2_buffer done = {};
	done.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	done.memory = V4L2_MEMORY_DMABUF;
	ASSERT_EQ(xioctl(fd, VIDIOC_DQBUF, &done), 0) << strerror(errno);
	xioctl(fd, VIDIOC_STREAMOFF, &type);
	req.count = 0;
	xioctl(fd, VIDIOC_REQBUFS, &req);
	EXPECT_FALSE(done.flags & V4L2_BUF_FLAG_ERROR);

	// What vivid wrote: a real picture, not the zeros it started with.
	std::vector<uint32_t> written(size_t(layout.width) * layout.height);
	{
		auto cpu = buffer->beginCpuAccess(CpuAccessMode::Read);
		ASSERT_TRUE(cpu);
		size_t nonZero = 0;
		for (uint32_t y = 0; y < layout.height; ++y) {
			auto *row = reinterpret_cast<const uint32_t *>(cpu->plane(0).data() + size_t(y) * layout.planes[0].stride);
			for (uint32_t x = 0; x < layout.width; ++x) {
				written[size_t(y) * layout.width + x] = row[x] & 0x00ffffffu;
				nonZero += (row[x] & 0x00ffffffu) != 0;
			}
		}
		EXPECT_GT(nonZero, written.size() / 2) << "vivid did not fill the buffer";
	}

	// The same dma-buf on the display, read back through writeback.
	auto fb = vkms.addFramebuffer(*buffer);
	ASSERT_TRUE(fb) << fb.error().toString();
	ASSERT_TRUE((*display)->showOnPrimary(*fb));
	auto capture = context()->allocate({layout.width, layout.height, DRM_FORMAT_XRGB8888},
					   {.allocator = allocatorFor("system")});
	ASSERT_TRUE(capture);
	auto target = vkms.addFramebuffer(**capture);
	ASSERT_TRUE(target);
	ASSERT_TRUE((*display)->captureWriteback(*target));
	auto read = (*capture)->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_TRUE(read);
	size_t differ = 0;
	for (uint32_t y = 0; y < layout.height; ++y) {
		auto *row = reinterpret_cast<const uint32_t *>(read->plane(0).data() + size_t(y) * (*capture)->layout().planes[0].stride);
		for (uint32_t x = 0; x < layout.width; ++x)
			differ += (row[x] & 0x00ffffffu) != written[size_t(y) * layout.width + x];
	}
	EXPECT_EQ(differ, 0u) << "the display showed something other than what the camera wrote";
}

namespace {

/// vicodec's stateful FWHT decoder, found as a player finds it: by its OUTPUT format.
Result<std::shared_ptr<V4l2Device>> fwhtDecoder()
{
	return video::openByFormat(V4l2Queue::Output, V4L2_PIX_FMT_FWHT);
}

const Layout *fixedFor(const Participant &p, uint32_t format)
{
	for (const Layout &l : p.constraints.fixedLayouts)
		if (l.format == format)
			return &l;
	return nullptr;
}

} // namespace

// vicodec writes rows width x bytes-per-pixel apart whatever the caller asks: its layout is
// learnt by VIDIOC_TRY_FMT and becomes a constraint, not prose.
TEST(V4l2, ADecoderThatFixesItsStrideGivesFixedLayouts)
{
	auto decoder = fwhtDecoder();
	HBM_REQUIRE_DEVICE(decoder.ok(), decoder ? "" : decoder.error().message);
	auto queue = (*decoder)->participant(V4l2Queue::Capture, 640, 480);
	ASSERT_TRUE(queue) << queue.error().toString();
	const Layout *nv12 = fixedFor(*queue, DRM_FORMAT_NV12);
	ASSERT_NE(nv12, nullptr) << queue->source;
	ASSERT_EQ(nv12->planes.size(), 2u);
	EXPECT_EQ(nv12->planes[0].stride, 640u);
	EXPECT_EQ(nv12->planes[1].stride, 640u);
	EXPECT_EQ(nv12->planes[1].offset, 640u * 480) << "V4L2 packs the chroma right after the luma";
	EXPECT_GE(nv12->size, 460800u) << "at least sizeimage";
	const Layout *xrgb = fixedFor(*queue, DRM_FORMAT_XRGB8888);
	ASSERT_NE(xrgb, nullptr) << queue->source;
	EXPECT_EQ(xrgb->planes[0].stride, 2560u);
	EXPECT_NE(queue->source.find("NV12 fixed at 640x480, bytesperline 640, sizeimage 460800"), std::string::npos)
		<< queue->source;
	EXPECT_NE(queue->source.find((*decoder)->multiplanar(V4l2Queue::Capture) ? "multi-planar" : "single-planar"),
		  std::string::npos);
}

// vivid keeps a wider bytesperline: it takes hbm's strides, and no layout is fixed.
TEST(V4l2, ACameraThatTakesTheCallersStrideFixesNothing)
{
	auto vivid = V4l2Device::openByDriver("vivid", V4l2Queue::Capture);
	HBM_REQUIRE_DEVICE(vivid.ok(), vivid ? "" : vivid.error().message);
	auto camera = (*vivid)->participant(V4l2Queue::Capture, 1280, 720);
	ASSERT_TRUE(camera) << camera.error().toString();
	EXPECT_EQ(fixedFor(*camera, DRM_FORMAT_XRGB8888), nullptr) << camera->source;
	EXPECT_NE(camera->source.find("any stride from 5120"), std::string::npos) << camera->source;
}

// A buffer laid out by hbm for the display alone (stride 2752 for 680 pixels) is refused
// when the decoder's queue is attached, naming the queue and both strides; and the queue
// itself refuses that layout at VIDIOC_S_FMT, as the same data.
TEST(V4l2, AQueueThatCannotTakeTheNegotiatedLayoutIsRefusedNamingIt)
{
	auto decoder = fwhtDecoder();
	HBM_REQUIRE_DEVICE(decoder.ok(), decoder ? "" : decoder.error().message);
	auto described = context()->describe({680, 480, {DRM_FORMAT_XRGB8888}, UsageScanout});
	ASSERT_TRUE(described);
	auto made = (*described)->allocate();
	ASSERT_TRUE(made) << made.error().toString();
	const Layout &layout = (*made)->layout();
	ASSERT_NE(layout.planes[0].stride, 2720u) << "hbm's own stride is aligned to 64";

	auto queue = (*decoder)->participant(V4l2Queue::Capture, 680, 480);
	ASSERT_TRUE(queue) << queue.error().toString();
	// Both refusals are the same data: plane 0's stride, the one the queue writes, and the
	// queue that fixed it.
	auto expectStride = [&](const Error &error) {
		ASSERT_TRUE(error.refusal) << error.message;
		EXPECT_EQ(error.refusal->reason(), RejectReason::FixedStride) << error.message;
		const Rejection &r = error.refusal->rejections.at(0);
		EXPECT_EQ(r.reason, RejectReason::FixedStride) << error.message;
		EXPECT_EQ(r.plane, 0u);
		EXPECT_EQ(r.value, layout.planes[0].stride) << error.message;
		EXPECT_EQ(r.limit, 2720u) << error.message;
		EXPECT_EQ(r.setBy, std::vector<ParticipantIdentity>{queue->identity}) << error.message;
	};
	auto check = (*made)->check(*queue);
	ASSERT_FALSE(check);
	EXPECT_EQ(check.error().code, EINVAL);
	expectStride(check.error());

	auto set = (*decoder)->setFormat(V4l2Queue::Capture, layout);
	ASSERT_FALSE(set);
	EXPECT_EQ(set.error().code, EINVAL);
	expectStride(set.error());
	EXPECT_EQ(set.error().refusal->rejections.size(), 1u) << "the size and format were taken: " << set.error().message;
}

// Negotiated for the decoder and the display together, the buffer has the decoder's layout
// and the queue takes it as it is.
TEST(V4l2, NegotiatedForDecoderAndDisplayTheQueueTakesTheBuffer)
{
	auto decoder = fwhtDecoder();
	HBM_REQUIRE_DEVICE(decoder.ok(), decoder ? "" : decoder.error().message);
	auto display = Display::openByDriver("vkms");
	HBM_REQUIRE_DEVICE(display.ok(), display ? "" : display.error().message);
	auto primary = planeParticipant((*display)->device(), PlaneType::Primary);
	ASSERT_TRUE(primary);
	auto queue = (*decoder)->participant(V4l2Queue::Capture, 680, 480);
	ASSERT_TRUE(queue) << queue.error().toString();
	auto plan = context()->negotiate({680, 480, {DRM_FORMAT_XRGB8888}, UsageScanout}, {*queue, *primary});
	ASSERT_TRUE(plan) << plan.error().toString();
	auto made = context()->allocate(*plan);
	ASSERT_TRUE(made) << made.error().toString();
	EXPECT_EQ((*made)->layout().planes[0].stride, 2720u);
	auto set = (*decoder)->setFormat(V4l2Queue::Capture, (*made)->layout());
	ASSERT_TRUE(set) << set.error().toString();
	EXPECT_EQ(set->bytesPerLine, 2720u);
	auto fb = (*display)->device().addFramebuffer(**made);
	EXPECT_TRUE(fb) << fb.error().toString();
}

// vicodec decodes nothing narrower than 640 pixels: a 600-wide buffer is refused as such,
// saying the size the queue would use.
TEST(V4l2, ASizeTheDecoderWouldChangeIsRefusedWithTheSizeItUses)
{
	auto decoder = fwhtDecoder();
	HBM_REQUIRE_DEVICE(decoder.ok(), decoder ? "" : decoder.error().message);
	auto queue = (*decoder)->participant(V4l2Queue::Capture, 600, 480);
	ASSERT_TRUE(queue) << queue.error().toString();
	auto plan = context()->negotiate({600, 480, {DRM_FORMAT_XRGB8888}, 0}, {*queue});
	ASSERT_FALSE(plan);
	ASSERT_TRUE(plan.error().refusal);
	EXPECT_EQ(plan.error().refusal->reason(), RejectReason::FixedSize);
	const Rejection &size = plan.error().refusal->rejections.at(0);
	EXPECT_EQ(size.reason, RejectReason::FixedSize) << plan.error().message;
	EXPECT_EQ(size.value, 600ull << 32 | 480) << plan.error().message;
	EXPECT_EQ(size.limit, 640ull << 32 | 480) << plan.error().message;
	EXPECT_EQ(size.setBy, std::vector<ParticipantIdentity>{queue->identity}) << plan.error().message;
}

// visl, a stateless decoder skeleton with a CAPTURE_MPLANE queue: its NV12 layout is learnt
// through the multi-planar API, the buffer hbm lays out that way is imported by DMABUF, and
// visl fills it (a test pattern where a real decoder would put the picture).
TEST(V4l2, VislCaptureMplaneFillsABufferLaidOutAsItSays)
{
	auto visl = V4l2Device::openByDriver("visl", V4l2Queue::Capture);
	HBM_REQUIRE_DEVICE(visl.ok(), visl ? "" : visl.error().message);
	ASSERT_TRUE((*visl)->multiplanar(V4l2Queue::Capture)) << "visl speaks the multi-planar API";
	video::M2mQueue bitstream(**visl, V4l2Queue::Output), frames(**visl, V4l2Queue::Capture);
	ASSERT_TRUE(bitstream.setFormat(V4L2_PIX_FMT_FWHT_STATELESS, 640, 480));

	auto queue = (*visl)->participant(V4l2Queue::Capture, 640, 480);
	ASSERT_TRUE(queue) << queue.error().toString();
	EXPECT_NE(queue->source.find("multi-planar"), std::string::npos) << queue->source;
	const Layout *fixed = fixedFor(*queue, DRM_FORMAT_NV12);
	ASSERT_NE(fixed, nullptr) << queue->source;
	auto plan = context()->negotiate({640, 480, {DRM_FORMAT_NV12}, 0}, {*queue});
	ASSERT_TRUE(plan) << plan.error().toString();
	auto made = context()->allocate(*plan);
	ASSERT_TRUE(made) << made.error().toString();
	const Layout &layout = (*made)->layout();
	EXPECT_EQ(layout.planes[1].offset, fixed->planes[1].offset);
	{
		auto cpu = (*made)->beginCpuAccess(CpuAccessMode::Write);
		ASSERT_TRUE(cpu);
		for (size_t i : {0, 1})
			std::memset(cpu->plane(i).data(), 0, cpu->plane(i).size());
	}
	auto set = (*visl)->setFormat(V4l2Queue::Capture, layout);
	ASSERT_TRUE(set) << set.error().toString();

	// One (empty) bitstream buffer in, one frame out: visl runs without a request.
	auto inputs = bitstream.request(1, V4L2_MEMORY_MMAP);
	ASSERT_TRUE(inputs) << inputs.error().toString();
	ASSERT_TRUE(bitstream.queueMmap(0, 1024));
	auto outputs = frames.request(1, V4L2_MEMORY_DMABUF);
	ASSERT_TRUE(outputs) << outputs.error().toString();
	ASSERT_TRUE(frames.queueDmabuf(0, (*made)->planeFd(0).get(), uint32_t(layout.size)));
	ASSERT_TRUE(bitstream.streamOn());
	ASSERT_TRUE(frames.streamOn());
	struct pollfd pfd = {(*visl)->fd(), POLLIN, 0};
	ASSERT_EQ(::poll(&pfd, 1, 10000), 1) << "visl produced no frame";
	auto done = frames.dequeue();
	ASSERT_TRUE(done) << done.error().toString();
	EXPECT_FALSE(done->flags & V4L2_BUF_FLAG_ERROR);
	EXPECT_GE(done->bytesUsed, 640u * 480 * 3 / 2);

	// visl drew into hbm's buffer: many distinct luma values, and chroma where hbm put it.
	auto cpu = (*made)->beginCpuAccess(CpuAccessMode::Read);
	ASSERT_TRUE(cpu);
	std::vector<bool> seen(256);
	size_t distinct = 0, chromaSet = 0;
	for (uint32_t y = 0; y < 480; ++y)
		for (uint32_t x = 0; x < 640; ++x) {
			const uint8_t v = cpu->plane(0).data()[size_t(y) * layout.planes[0].stride + x];
			distinct += !seen[v];
			seen[v] = true;
		}
	for (uint8_t c : cpu->plane(1))
		chromaSet += c != 0;
	EXPECT_GE(distinct, 6u) << "visl did not draw its colour bars (8 luma levels) into the buffer";
	EXPECT_GT(chromaSet, size_t(640) * 240 / 2) << "the chroma plane is not where visl wrote it";
}
