// SPDX-License-Identifier: MIT
#include "base/drm_node.hpp"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xf86drm.h>

#include <sys/sysmacros.h>

#include <hbm/drm_device.hpp>

#include "base/device_nodes.hpp"
#include "seam/devices.hpp"
#include "base/error.hpp"
#include "base/string_format.hpp"

namespace hbm {

namespace {

/// Fills in what a DRM node is, refusing what is not one.
Result<DrmNode> describe(UniqueFd fd, std::string path, std::string name)
{
	struct stat st;
	if (::fstat(fd.get(), &st) != 0)
		return makeError(errno, "cannot stat %s", name.c_str());
	std::string driver = S_ISCHR(st.st_mode) ? hbm_seam::drmDriverOf(fd.get()) : "";
	if (driver.empty())
		return makeError(ENODEV, "%s is not a DRM device", name.c_str());
	DrmNode node;
	node.driver = std::move(driver);
	node.fd = std::move(fd);
	node.path = std::move(path);
	node.name = std::move(name);
	node.device = st.st_rdev;
	return node;
}

} // namespace

Result<DrmNode> openDrmNode(const std::string &path, DrmMaster master)
{
	UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
	if (!fd)
		return makeError(errno, "cannot open DRM device %s", path.c_str());
	auto node = describe(std::move(fd), path, path);
	if (!node)
		return node;
	const int nodeFd = node->fd.get();
	const bool isMaster = drmIsMaster(nodeFd);
	if (master == DrmMaster::Drop && isMaster && drmDropMaster(nodeFd) != 0)
		return makeError(errno, "cannot drop the DRM master this open of %s took", path.c_str());
	if (master == DrmMaster::Take && !isMaster && drmSetMaster(nodeFd) != 0)
		return makeError(errno, "cannot become DRM master of %s (is a compositor running on it?)", path.c_str());
	return node;
}

Result<DrmNode> adoptDrmNode(int fd)
{
	if (fd < 0)
		return makeError(EBADF, "DRM fd %d is not a descriptor", fd);
	char target[PATH_MAX];
	const ssize_t length = ::readlink(stringf("/proc/self/fd/%d", fd).c_str(), target, sizeof(target) - 1);
	const std::string path = length > 0 ? std::string(target, size_t(length)) : "";
	const std::string name = stringf("DRM fd %d", fd) + (path.empty() ? "" : " (" + path + ")");
	UniqueFd dup(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
	if (!dup)
		return makeError(errno, "%s: cannot duplicate it (is it open?)", name.c_str());
	return describe(std::move(dup), path.empty() ? name : path, name);
}

std::vector<DrmCard> listDrmCards()
{
	std::vector<DrmCard> out;
	for (const std::string &path : deviceNodes("/dev/dri", "card")) {
		auto node = openDrmNode(path, DrmMaster::Drop);
		out.push_back({path, node ? node->driver : std::string(), node ? std::string() : node.error().toString()});
	}
	return out;
}

Result<DrmDeviceName> findDrmDevice(dev_t device)
{
	const std::string number = stringf("%u:%u", major(device), minor(device));
	for (const std::string &path : deviceNodes("/dev/dri", "")) {
		struct stat st;
		if (::stat(path.c_str(), &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != device)
			continue;
		auto node = openDrmNode(path, DrmMaster::Drop);
		if (!node)
			return makeError(node.error().code, "DRM device %s (%s): %s", number.c_str(), path.c_str(),
					 node.error().message.c_str());
		return DrmDeviceName{path, node->driver};
	}
	return makeError(ENODEV, "DRM device %s has no node in /dev/dri on this machine", number.c_str());
}

} // namespace hbm
