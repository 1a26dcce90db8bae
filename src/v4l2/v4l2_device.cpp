// SPDX-License-Identifier: MIT
#include <hbm/v4l2.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <optional>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include <drm_fourcc.h>
#include <linux/videodev2.h>

#include <hbm/format.hpp>
#include <hbm/unique_fd.hpp>

#include "device_nodes.hpp"
#include "error.hpp"
#include "iommu.hpp"
#include "kernel_ioctl.hpp"
#include "string_format.hpp"

namespace hbm {

namespace {

// V4L2 names memory byte order, DRM names a little-endian word: XBGR32 (B,G,R,X in
// memory) is DRM's XRGB8888. Multi-planar variants (NV12M …) map to the same DRM format.
struct FormatPair {
	uint32_t v4l2;
	uint32_t drm;
};
constexpr FormatPair kFormats[] = {
	{V4L2_PIX_FMT_XBGR32, DRM_FORMAT_XRGB8888}, {V4L2_PIX_FMT_ABGR32, DRM_FORMAT_ARGB8888},
	{V4L2_PIX_FMT_RGBX32, DRM_FORMAT_XBGR8888}, {V4L2_PIX_FMT_RGBA32, DRM_FORMAT_ABGR8888},
	{V4L2_PIX_FMT_RGB565, DRM_FORMAT_RGB565},   {V4L2_PIX_FMT_RGB24, DRM_FORMAT_BGR888},
	{V4L2_PIX_FMT_BGR24, DRM_FORMAT_RGB888},    {V4L2_PIX_FMT_GREY, DRM_FORMAT_R8},
	{V4L2_PIX_FMT_NV12, DRM_FORMAT_NV12},       {V4L2_PIX_FMT_NV12M, DRM_FORMAT_NV12},
	{V4L2_PIX_FMT_NV21, DRM_FORMAT_NV21},       {V4L2_PIX_FMT_NV21M, DRM_FORMAT_NV21},
	{V4L2_PIX_FMT_NV16, DRM_FORMAT_NV16},       {V4L2_PIX_FMT_NV16M, DRM_FORMAT_NV16},
	{V4L2_PIX_FMT_NV61, DRM_FORMAT_NV61},       {V4L2_PIX_FMT_NV24, DRM_FORMAT_NV24},
	{V4L2_PIX_FMT_YUYV, DRM_FORMAT_YUYV},       {V4L2_PIX_FMT_UYVY, DRM_FORMAT_UYVY},
	{V4L2_PIX_FMT_YVYU, DRM_FORMAT_YVYU},       {V4L2_PIX_FMT_VYUY, DRM_FORMAT_VYUY},
	{V4L2_PIX_FMT_YUV420, DRM_FORMAT_YUV420},   {V4L2_PIX_FMT_YUV420M, DRM_FORMAT_YUV420},
	{V4L2_PIX_FMT_YVU420, DRM_FORMAT_YVU420},   {V4L2_PIX_FMT_YVU420M, DRM_FORMAT_YVU420},
	{V4L2_PIX_FMT_YUV422P, DRM_FORMAT_YUV422},
};

uint32_t bufType(V4l2Queue queue, bool mplane)
{
	if (queue == V4l2Queue::Capture)
		return mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	return mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_OUTPUT;
}

} // namespace

struct V4l2Device::Private {
	UniqueFd fd;
	std::string path, driver, card;
	uint32_t caps = 0; ///< device_caps of VIDIOC_QUERYCAP
};

uint32_t V4l2Device::drmFormat(uint32_t v4l2)
{
	for (const FormatPair &p : kFormats)
		if (p.v4l2 == v4l2)
			return p.drm;
	return 0;
}

uint32_t V4l2Device::v4l2Format(uint32_t drm)
{
	for (const FormatPair &p : kFormats)
		if (p.drm == drm)
			return p.v4l2;
	return 0;
}

namespace {

/// What @fd is, or the path it was opened from, for sentences.
std::string describeFd(int fd)
{
	char link[256];
	ssize_t n = ::readlink(stringf("/proc/self/fd/%d", fd).c_str(), link, sizeof(link) - 1);
	return n > 0 ? stringf("fd %d (%.*s)", fd, int(n), link) : stringf("fd %d", fd);
}

} // namespace

Result<std::shared_ptr<V4l2Device>> V4l2Device::open(const std::string &path)
{
	UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
	if (!fd)
		return makeError(errno, "cannot open V4L2 device %s", path.c_str());
	return adopt(std::move(fd), path);
}

Result<std::shared_ptr<V4l2Device>> V4l2Device::fromFd(int fd)
{
	if (fd < 0)
		return makeError(EBADF, "V4L2 fd %d is not a descriptor", fd);
	UniqueFd dup(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
	if (!dup)
		return makeError(errno, "V4L2 fd %d: cannot duplicate it (is it open?)", fd);
	return adopt(std::move(dup), describeFd(fd));
}

Result<std::shared_ptr<V4l2Device>> V4l2Device::adopt(UniqueFd fd, const std::string &path)
{
	struct v4l2_capability cap = {};
	if (int ret = retryingIoctl(fd.get(), VIDIOC_QUERYCAP, &cap); ret == -ENOTTY)
		return makeError(ENODEV, "%s is not a V4L2 device (VIDIOC_QUERYCAP: %s)", path.c_str(), strerror(-ret));
	else if (ret < 0)
		return makeError(-ret, "%s: VIDIOC_QUERYCAP failed", path.c_str());
	auto d = std::make_unique<Private>();
	d->fd = std::move(fd);
	d->path = path;
	d->driver = reinterpret_cast<const char *>(cap.driver);
	d->card = reinterpret_cast<const char *>(cap.card);
	d->caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
	return std::shared_ptr<V4l2Device>(new V4l2Device(std::move(d)));
}

Result<std::shared_ptr<V4l2Device>> V4l2Device::openByDriver(const std::string &driver, V4l2Queue queue)
{
	const std::vector<std::string> nodes = deviceNodes("/dev", "video");
	const uint32_t want = queue == V4l2Queue::Capture ? (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)
							 : (V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_VIDEO_OUTPUT_MPLANE);
	std::string seen;
	std::optional<Error> unopened; // the first node that could not be asked, and why
	for (const std::string &node : nodes) {
		auto dev = open(node);
		if (!dev) {
			if (!unopened)
				unopened = dev.error();
			continue;
		}
		seen += (seen.empty() ? "" : ", ") + node + " (" + (*dev)->driverName() + ")";
		if ((*dev)->driverName() == driver && ((*dev)->d_->caps & want) && ((*dev)->d_->caps & V4L2_CAP_STREAMING))
			return dev;
	}
	// A node that could not be asked may be the one: its failure is the answer then.
	return makeError(unopened ? unopened->code : ENODEV, "no V4L2 %s device with driver '%s' (found: %s)%s%s",
			 queue == V4l2Queue::Capture ? "capture" : "output", driver.c_str(),
			 seen.empty() ? "no /dev/video*" : seen.c_str(), unopened ? "; not asked: " : "",
			 unopened ? unopened->toString().c_str() : "");
}

V4l2Device::V4l2Device(std::unique_ptr<Private> d) : d_(std::move(d)) {}
V4l2Device::~V4l2Device() = default;

int V4l2Device::fd() const { return d_->fd.get(); }
const std::string &V4l2Device::path() const { return d_->path; }
const std::string &V4l2Device::driverName() const { return d_->driver; }
const std::string &V4l2Device::cardName() const { return d_->card; }

bool V4l2Device::multiplanar(V4l2Queue queue) const
{
	return d_->caps & (queue == V4l2Queue::Capture ? V4L2_CAP_VIDEO_CAPTURE_MPLANE : V4L2_CAP_VIDEO_OUTPUT_MPLANE);
}

Result<Participant> V4l2Device::participant(V4l2Queue queue, uint32_t width, uint32_t height) const
{
	const bool mplane = multiplanar(queue);
	const uint32_t type = bufType(queue, mplane);
	const char *qname = queue == V4l2Queue::Capture ? "capture" : "output";
	int fd = d_->fd.get();

	// Without DMABUF import the queue can only fill its own memory: no shared buffer.
	struct v4l2_requestbuffers req = {};
	req.type = type;
	req.memory = V4L2_MEMORY_DMABUF;
	req.count = 0;
	if (int ret = retryingIoctl(fd, VIDIOC_REQBUFS, &req); ret < 0 && ret != -EINVAL)
		return makeError(-ret, "%s %s queue (%s): VIDIOC_REQBUFS failed", d_->path.c_str(), qname,
				 d_->driver.c_str());
	else if (ret < 0 || !(req.capabilities & V4L2_BUF_CAP_SUPPORTS_DMABUF))
		return makeError(ret < 0 ? -ret : ENOTSUP, "%s %s queue (%s) cannot import dma-bufs", d_->path.c_str(), qname,
				 d_->driver.c_str());

	Participant p;
	struct stat node;
	if (::fstat(fd, &node) != 0)
		return makeError(errno, "cannot stat %s (fstat)", d_->path.c_str());
	p.identity = V4l2QueueIdentity{node.st_rdev, queue, d_->driver, d_->card};
	// As KMS planes name theirs: `[device.RULE]` match.sysfs_path and contiguous_without_iommu
	// read it.
	p.sysfsPath = sysfsDeviceOf(node.st_rdev);
	std::string stride;
	for (uint32_t index = 0;; ++index) {
		struct v4l2_fmtdesc desc = {};
		desc.index = index;
		desc.type = type;
		// EINVAL ends the list; anything else is a failure to ask, not the end.
		if (int ret = retryingIoctl(fd, VIDIOC_ENUM_FMT, &desc); ret == -EINVAL)
			break;
		else if (ret < 0)
			return makeError(-ret, "%s %s queue (%s): VIDIOC_ENUM_FMT of format %u failed", d_->path.c_str(),
					 qname, d_->driver.c_str(), index);
		uint32_t drm = drmFormat(desc.pixelformat);
		if (!drm || !findFormat(drm))
			continue;
		p.constraints.formats.add(drm, DRM_FORMAT_MOD_LINEAR);
		if (!stride.empty())
			continue;
		// What the driver would choose for the first format it shares with hbm.
		struct v4l2_format fmt = {};
		fmt.type = type;
		if (mplane) {
			fmt.fmt.pix_mp.width = width;
			fmt.fmt.pix_mp.height = height;
			fmt.fmt.pix_mp.pixelformat = desc.pixelformat;
		} else {
			fmt.fmt.pix.width = width;
			fmt.fmt.pix.height = height;
			fmt.fmt.pix.pixelformat = desc.pixelformat;
		}
		if (retryingIoctl(fd, VIDIOC_TRY_FMT, &fmt) == 0)
			stride = stringf("; its %s stride at %ux%u is %u", formatName(drm).c_str(),
					 mplane ? fmt.fmt.pix_mp.width : fmt.fmt.pix.width,
					 mplane ? fmt.fmt.pix_mp.height : fmt.fmt.pix.height,
					 mplane ? fmt.fmt.pix_mp.plane_fmt[0].bytesperline : fmt.fmt.pix.bytesperline);
	}
	if (p.constraints.formats.empty())
		return makeError(ENOTSUP, "%s %s queue (%s) offers no format hbm can lay out", d_->path.c_str(), qname,
				 d_->driver.c_str());
	p.source = "VIDIOC_ENUM_FMT of " + d_->path + " (" + d_->card + "), DMABUF import" + stride;
	return p;
}

} // namespace hbm
