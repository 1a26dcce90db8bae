// SPDX-License-Identifier: MIT
// Feedback → participants, and negotiation over tranches: the pure half of the client side.
#include <hbm/wayland/client.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <xf86drm.h>

#include <drm_fourcc.h>

#include <hbm/refusal.hpp>
#include <hbm/renderer.hpp>
#include <hbm/unique_fd.hpp>

namespace hbm::wayland {

namespace {

std::string deviceName(dev_t device)
{
	return std::to_string(major(device)) + ":" + std::to_string(minor(device));
}

} // namespace

Result<MainDeviceInfo> lookUpDrmDevice(dev_t device)
{
	const char *dir = "/dev/dri";
	DIR *d = opendir(dir);
	if (!d)
		return Error{errno, std::string("cannot list ") + dir + " to find DRM device " + deviceName(device), nullptr};
	std::string node;
	while (dirent *e = readdir(d)) {
		std::string path = std::string(dir) + "/" + e->d_name;
		struct stat st;
		if (e->d_name[0] == '.' || stat(path.c_str(), &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != device)
			continue;
		node = path;
		break;
	}
	closedir(d);
	if (node.empty())
		return Error{ENODEV, "DRM device " + deviceName(device) + " has no node in /dev/dri on this machine", nullptr};
	UniqueFd fd(open(node.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
	if (!fd)
		return Error{errno, "cannot open " + node + " (DRM device " + deviceName(device) + ") to read its driver", nullptr};
	drmVersionPtr version = drmGetVersion(fd.get());
	if (!version)
		return Error{ENODEV, node + " (DRM device " + deviceName(device) + ") does not answer DRM_IOCTL_VERSION", nullptr};
	MainDeviceInfo info{std::string(version->name, version->name_len), node};
	drmFreeVersion(version);
	return info;
}

std::vector<Participant> participantsFor(const Feedback &feedback, const MainDeviceInfo &mainDevice,
					 dev_t assumedMainDevice)
{
	dev_t renderer = feedback.mainDevice ? feedback.mainDevice : assumedMainDevice;
	std::string rendererNote;
	if (!feedback.mainDevice && assumedMainDevice)
		rendererNote = "; v3 names no device: (" + deviceName(assumedMainDevice) +
			       ") is taken for the compositor's renderer";
	else if (!feedback.mainDevice)
		rendererNote = "; v3 names no device: what memory the compositor's renderer can use is unknown";
	else if (mainDevice.kernelDriver.empty())
		rendererNote = "; main device (" + deviceName(renderer) +
			       ") not found here: what memory its renderer can use is unknown";

	const RendererQuirk *quirk =
		renderer && !mainDevice.kernelDriver.empty() ? findRendererQuirk(mainDevice.kernelDriver, "") : nullptr;
	if (quirk)
		rendererNote += "; the compositor's renderer on " + mainDevice.kernelDriver + " (" + deviceName(renderer) +
				") uses only its own device's memory, and composites any buffer not on a plane: " +
				std::string(quirk->reason) + " [" + std::string(quirk->source) + "]";

	std::vector<Participant> out;
	for (size_t i = 0; i < feedback.tranches.size(); ++i) {
		const Tranche &t = feedback.tranches[i];
		Participant p;
		p.identity = WaylandTrancheIdentity{feedback.mainDevice, t.targetDevice, t.scanout(), uint32_t(i)};
		p.constraints.formats = t.formats;
		if (quirk && quirk->implicitIsLinear) {
			// Linear memory sent as INVALID is what this renderer reads anyway.
			for (const FormatSet::Entry &e : t.formats.entries())
				if (std::find(e.modifiers.begin(), e.modifiers.end(), DRM_FORMAT_MOD_INVALID) != e.modifiers.end())
					p.constraints.formats.add(e.format, DRM_FORMAT_MOD_LINEAR);
		}
		if (quirk)
			p.constraints.placement.localTo = renderer;
		p.source = "linux-dmabuf v" + std::to_string(feedback.version) + " " + feedback.origin;
		if (feedback.mainDevice)
			p.source += ", tranche " + std::to_string(i) + " (target " + deviceName(t.targetDevice) +
				    (t.scanout() ? ", scanout" : "") + ")";
		p.source += rendererNote;
		out.push_back(std::move(p));
	}
	return out;
}

Result<Plan> negotiateForTranches(const Context &context, const Request &request, const std::vector<Participant> &own,
				  const std::vector<Participant> &tranches)
{
	if (tranches.empty())
		return Error{ENOENT, "the compositor's feedback has no tranche: it takes no dma-buf", nullptr};
	std::string why;
	std::shared_ptr<const Refusal> first;
	int code = 0;
	for (const Participant &tranche : tranches) {
		std::vector<Participant> all = own;
		all.push_back(tranche);
		auto plan = context.negotiate(request, all);
		if (plan)
			return plan;
		if (!first) {
			first = plan.error().refusal;
			code = plan.error().code;
		}
		why += (why.empty() ? "" : "; ") + tranche.name() + ": " + plan.error().message;
	}
	return Error{code, "no tranche of the compositor's feedback can be met: " + why, first};
}

} // namespace hbm::wayland
