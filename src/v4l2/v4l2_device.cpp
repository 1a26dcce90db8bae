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

#include "base/device_nodes.hpp"
#include "v4l2_private.hpp"
#include "base/error.hpp"
#include "base/iommu.hpp"
#include "base/kernel_ioctl.hpp"
#include "base/string_format.hpp"

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

std::optional<Error> layoutNotTaken(const std::string &what, const V4l2QueueIdentity &queue, const Layout &layout,
				    uint32_t pixelformat, const V4l2Device::Format &chosen)
{
	std::vector<Rejection> differences;
	auto differ = [&](RejectReason reason, uint64_t value, uint64_t limit) {
		Rejection r;
		r.reason = reason;
		r.format = layout.format;
		r.setBy = {queue};
		r.value = value;
		r.limit = limit;
		differences.push_back(std::move(r));
	};
	if (chosen.v4l2Format != pixelformat) {
		differ(RejectReason::FormatNotTaken, 0, 0);
	} else {
		if (chosen.width != layout.width || chosen.height != layout.height)
			differ(RejectReason::FixedSize, uint64_t(layout.width) << 32 | layout.height,
			       uint64_t(chosen.width) << 32 | chosen.height);
		if (chosen.bytesPerLine != layout.planes[0].stride)
			differ(RejectReason::FixedStride, layout.planes[0].stride, chosen.bytesPerLine);
		if (chosen.sizeImage > layout.size)
			differ(RejectReason::FixedTooSmall, layout.size, chosen.sizeImage);
	}
	if (differences.empty() && chosen.memoryPlanes == 1)
		return std::nullopt;
	std::string subject = what + " does not take the buffer's layout";
	if (chosen.memoryPlanes != 1)
		subject += stringf(" (it wants %u dma-bufs a buffer, not one)", chosen.memoryPlanes);
	if (differences.empty())
		return makeError(EINVAL, std::move(subject));
	return refusalError(EINVAL, Refusal{subject, std::move(differences),
					    "negotiate the buffer with the queue's participant attached"});
}

// Hidden: the class is exported, its insides are not (check-exports.sh).
struct __attribute__((visibility("hidden"))) V4l2Device::Private {
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

std::vector<std::string> V4l2Device::nodes()
{
	return deviceNodes("/dev", "video");
}

Result<std::shared_ptr<V4l2Device>> firstV4l2Device(const std::function<bool(const V4l2Device &)> &wanted,
						    const std::string &what)
{
	std::string seen;
	std::optional<Error> unopened; // the first node that could not be asked, and why
	for (const std::string &node : V4l2Device::nodes()) {
		auto dev = V4l2Device::open(node);
		if (!dev) {
			if (!unopened)
				unopened = dev.error();
			continue;
		}
		seen += (seen.empty() ? "" : ", ") + node + " (" + (*dev)->driverName() + ")";
		if (wanted(**dev))
			return dev;
	}
	// A node that could not be asked may be the one: its failure is the answer then.
	return makeError(unopened ? unopened->code : ENODEV, "no V4L2 %s (found: %s)%s%s", what.c_str(),
			 seen.empty() ? "no /dev/video*" : seen.c_str(), unopened ? "; not asked: " : "",
			 unopened ? unopened->toString().c_str() : "");
}

Result<std::shared_ptr<V4l2Device>> V4l2Device::openByDriver(const std::string &driver, V4l2Queue queue)
{
	const uint32_t want = (queue == V4l2Queue::Capture ? (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)
							  : (V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_VIDEO_OUTPUT_MPLANE)) |
			      V4L2_CAP_VIDEO_M2M | V4L2_CAP_VIDEO_M2M_MPLANE;
	return firstV4l2Device(
		[&](const V4l2Device &dev) {
			return dev.driverName() == driver && (dev.d_->caps & want) && (dev.d_->caps & V4L2_CAP_STREAMING);
		},
		stringf("%s device with driver '%s'", queue == V4l2Queue::Capture ? "capture" : "output", driver.c_str()));
}

V4l2Device::V4l2Device(std::unique_ptr<Private> d) : d_(std::move(d)) {}
V4l2Device::~V4l2Device() = default;

int V4l2Device::fd() const { return d_->fd.get(); }
const std::string &V4l2Device::path() const { return d_->path; }
const std::string &V4l2Device::driverName() const { return d_->driver; }
const std::string &V4l2Device::cardName() const { return d_->card; }

bool V4l2Device::multiplanar(V4l2Queue queue) const
{
	// A memory-to-memory device (a codec) says so for both queues at once.
	return d_->caps & ((queue == V4l2Queue::Capture ? V4L2_CAP_VIDEO_CAPTURE_MPLANE : V4L2_CAP_VIDEO_OUTPUT_MPLANE) |
			   V4L2_CAP_VIDEO_M2M_MPLANE);
}

namespace {

/// A V4L2 pixel format's four characters ("NV12", "XR24"): V4L2 fourccs name memory byte
/// order, so DRM's names for the same code would mislead.
std::string fourccName(uint32_t v4l2)
{
	std::string out;
	for (int i = 0; i < 4; ++i) {
		const char c = char((v4l2 >> (8 * i)) & 0xff);
		out += (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	return out;
}

/// A v4l2_format asking for @pixelformat at @width x @height, @bytesPerLine (0: the
/// driver's own) and @sizeImage (0: its choice) of one memory plane, over either API.
struct v4l2_format formatRequest(uint32_t type, bool mplane, uint32_t pixelformat, uint32_t width, uint32_t height,
				 uint32_t bytesPerLine, uint32_t sizeImage)
{
	struct v4l2_format fmt = {};
	fmt.type = type;
	if (mplane) {
		fmt.fmt.pix_mp.width = width;
		fmt.fmt.pix_mp.height = height;
		fmt.fmt.pix_mp.pixelformat = pixelformat;
		fmt.fmt.pix_mp.field = V4L2_FIELD_NONE;
		fmt.fmt.pix_mp.num_planes = 1;
		fmt.fmt.pix_mp.plane_fmt[0].bytesperline = bytesPerLine;
		fmt.fmt.pix_mp.plane_fmt[0].sizeimage = sizeImage;
	} else {
		fmt.fmt.pix.width = width;
		fmt.fmt.pix.height = height;
		fmt.fmt.pix.pixelformat = pixelformat;
		fmt.fmt.pix.field = V4L2_FIELD_NONE;
		fmt.fmt.pix.bytesperline = bytesPerLine;
		fmt.fmt.pix.sizeimage = sizeImage;
	}
	return fmt;
}

/// What @fmt says, over either API.
V4l2Device::Format formatOf(const struct v4l2_format &fmt, bool mplane)
{
	V4l2Device::Format out;
	if (mplane) {
		out.v4l2Format = fmt.fmt.pix_mp.pixelformat;
		out.width = fmt.fmt.pix_mp.width;
		out.height = fmt.fmt.pix_mp.height;
		out.bytesPerLine = fmt.fmt.pix_mp.plane_fmt[0].bytesperline;
		out.sizeImage = fmt.fmt.pix_mp.plane_fmt[0].sizeimage;
		out.memoryPlanes = fmt.fmt.pix_mp.num_planes;
	} else {
		out.v4l2Format = fmt.fmt.pix.pixelformat;
		out.width = fmt.fmt.pix.width;
		out.height = fmt.fmt.pix.height;
		out.bytesPerLine = fmt.fmt.pix.bytesperline;
		out.sizeImage = fmt.fmt.pix.sizeimage;
	}
	out.drmFormat = V4l2Device::drmFormat(out.v4l2Format);
	return out;
}

using Tried = V4l2Device::Format;

/// What the driver would do with @pixelformat (VIDIOC_TRY_FMT: nothing is changed);
/// nullopt when it answers with another format (it has no such format).
std::optional<Tried> tryFormat(int fd, uint32_t type, bool mplane, uint32_t pixelformat, uint32_t width,
			       uint32_t height, uint32_t bytesPerLine)
{
	struct v4l2_format fmt = formatRequest(type, mplane, pixelformat, width, height, bytesPerLine, 0);
	if (retryingIoctl(fd, VIDIOC_TRY_FMT, &fmt) != 0)
		return std::nullopt;
	Tried tried = formatOf(fmt, mplane);
	if (tried.v4l2Format != pixelformat)
		return std::nullopt;
	return tried;
}

/// The layout a driver's answer implies for DRM format @drm: planes packed one after
/// another (as the single-planar API packs them), chroma strides derived from
/// @tried.bytesPerLine, at least sizeimage bytes; nullopt when hbm's layout arithmetic
/// cannot give that stride or the planes would need more bytes than the driver fills.
std::optional<Layout> packedLayout(uint32_t drm, const Tried &tried)
{
	if (!tried.bytesPerLine || !tried.width || !tried.height)
		return std::nullopt;
	LinearRules rules;
	rules.strideAlignment = std::min<uint32_t>(tried.bytesPerLine & (~tried.bytesPerLine + 1), kMaxAlignment);
	rules.offsetAlignment = 1;
	auto layout = linearLayout(drm, tried.width, tried.height, rules);
	if (!layout || layout->planes[0].stride != tried.bytesPerLine)
		return std::nullopt;
	const PlaneLayout &last = layout->planes[layout->planes.size() - 1];
	if (last.offset + last.size > tried.sizeImage)
		return std::nullopt;
	const uint64_t page = 4096;
	layout->size = std::max<uint64_t>(layout->size, (uint64_t(tried.sizeImage) + page - 1) / page * page);
	return *layout;
}

} // namespace

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
	std::vector<std::string> learnt, leftOut;
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
		const uint32_t drm = drmFormat(desc.pixelformat);
		if (!drm || !findFormat(drm))
			continue;
		const std::string name = fourccName(desc.pixelformat);
		auto own = tryFormat(fd, type, mplane, desc.pixelformat, width, height, 0);
		if (!own) {
			leftOut.push_back(name + " (VIDIOC_TRY_FMT refused it)");
			continue;
		}
		if (own->memoryPlanes != 1) {
			leftOut.push_back(stringf("%s (%u dma-bufs a buffer)", name.c_str(), own->memoryPlanes));
			continue;
		}
		// A wider stride kept means the driver takes the caller's; its alignment is what
		// it makes of one byte more than its own.
		const uint32_t wider = (own->bytesPerLine + 64) / 64 * 64;
		auto padded = tryFormat(fd, type, mplane, desc.pixelformat, width, height, wider);
		if (padded && padded->bytesPerLine == wider && padded->width == own->width) {
			auto plusOne = tryFormat(fd, type, mplane, desc.pixelformat, width, height, own->bytesPerLine + 1);
			const uint32_t got = plusOne ? plusOne->bytesPerLine : wider;
			const uint32_t alignment = std::min<uint32_t>(got & (~got + 1), kMaxAlignment);
			p.constraints.strideAlignment = std::max(p.constraints.strideAlignment, alignment);
			p.constraints.formats.add(drm, DRM_FORMAT_MOD_LINEAR);
			learnt.push_back(stringf("%s any stride from %u, a multiple of %u", name.c_str(), own->bytesPerLine,
						 alignment));
			continue;
		}
		auto fixed = packedLayout(drm, *own);
		if (!fixed) {
			leftOut.push_back(stringf("%s (bytesperline %u, sizeimage %u: not a layout hbm can make)", name.c_str(),
						  own->bytesPerLine, own->sizeImage));
			continue;
		}
		p.constraints.formats.add(drm, DRM_FORMAT_MOD_LINEAR);
		learnt.push_back(stringf("%s fixed at %ux%u, bytesperline %u, sizeimage %u", name.c_str(), own->width,
					 own->height, own->bytesPerLine, own->sizeImage));
		p.constraints.fixedLayouts.push_back(std::move(*fixed));
	}
	if (p.constraints.formats.empty())
		return makeError(ENOTSUP, "%s %s queue (%s) offers no format hbm can lay out%s%s", d_->path.c_str(), qname,
				 d_->driver.c_str(), leftOut.empty() ? "" : "; left out: ", joined(leftOut).c_str());
	p.source = "VIDIOC_ENUM_FMT and VIDIOC_TRY_FMT of " + d_->path + " (" + d_->card + ", " +
		   (mplane ? "multi-planar" : "single-planar") + "), DMABUF import; " + joined(learnt, "; ") +
		   (leftOut.empty() ? "" : "; left out: " + joined(leftOut));
	return p;
}

Result<V4l2Device::Format> V4l2Device::format(V4l2Queue queue) const
{
	const bool mplane = multiplanar(queue);
	struct v4l2_format fmt = {};
	fmt.type = bufType(queue, mplane);
	if (int ret = retryingIoctl(d_->fd.get(), VIDIOC_G_FMT, &fmt); ret < 0)
		return makeError(-ret, "%s %s queue (%s): VIDIOC_G_FMT failed", d_->path.c_str(),
				 queue == V4l2Queue::Capture ? "capture" : "output", d_->driver.c_str());
	return formatOf(fmt, mplane);
}

Result<V4l2Device::Format> V4l2Device::setPixelFormat(V4l2Queue queue, uint32_t v4l2Format, uint32_t width,
						      uint32_t height, uint32_t sizeImage)
{
	const bool mplane = multiplanar(queue);
	struct v4l2_format fmt = formatRequest(bufType(queue, mplane), mplane, v4l2Format, width, height, 0, sizeImage);
	if (int ret = retryingIoctl(d_->fd.get(), VIDIOC_S_FMT, &fmt); ret < 0)
		return makeError(-ret, "%s %s queue (%s): VIDIOC_S_FMT of %s %ux%u failed", d_->path.c_str(),
				 queue == V4l2Queue::Capture ? "capture" : "output", d_->driver.c_str(),
				 fourccName(v4l2Format).c_str(), width, height);
	return formatOf(fmt, mplane);
}

Result<V4l2Device::Format> V4l2Device::setFormat(V4l2Queue queue, const Layout &layout)
{
	const bool mplane = multiplanar(queue);
	const char *qname = queue == V4l2Queue::Capture ? "capture" : "output";
	const uint32_t pixelformat = v4l2Format(layout.format);
	if (!pixelformat || layout.planes.empty())
		return makeError(EINVAL, "%s %s queue (%s): %s has no V4L2 pixel format", d_->path.c_str(), qname,
				 d_->driver.c_str(), formatName(layout.format).c_str());
	struct v4l2_format fmt =
		formatRequest(bufType(queue, mplane), mplane, pixelformat, layout.width, layout.height, layout.planes[0].stride, 0);
	if (int ret = retryingIoctl(d_->fd.get(), VIDIOC_S_FMT, &fmt); ret < 0)
		return makeError(-ret, "%s %s queue (%s): VIDIOC_S_FMT of %s %ux%u failed", d_->path.c_str(), qname,
				 d_->driver.c_str(), formatName(layout.format).c_str(), layout.width, layout.height);
	const Format chosen = formatOf(fmt, mplane);
	struct stat node = {};
	(void)::fstat(d_->fd.get(), &node); // the queue's identity; 0 when unknown
	if (auto refused = layoutNotTaken(stringf("%s %s queue (%s)", d_->path.c_str(), qname, d_->driver.c_str()),
					  V4l2QueueIdentity{node.st_rdev, queue, d_->driver, d_->card}, layout, pixelformat,
					  chosen))
		return std::move(*refused);
	return chosen;
}

} // namespace hbm
