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
