// SPDX-License-Identifier: MIT
// DmabufFeedback → participants, and negotiation over tranches: the pure half of the client side.
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

#include <hbm/drm_device.hpp>
#include <hbm/refusal.hpp>
#include "renderer.hpp"
#include <hbm/unique_fd.hpp>

namespace hbm::wayland {

using hbm_seam::findRendererQuirk;
using hbm_seam::RendererLocality;
using hbm_seam::rendererLocality;
using hbm_seam::RendererQuirk;

namespace {

std::string deviceName(dev_t device)
{
	return std::to_string(major(device)) + ":" + std::to_string(minor(device));
}

} // namespace

Result<MainDeviceInfo> lookUpDrmDevice(dev_t device)
{
	auto found = findDrmDevice(device);
	if (!found)
		return found.error();
	return MainDeviceInfo{found->driver, found->node};
}

std::vector<Participant> participantsFor(const DmabufFeedback &feedback, const MainDeviceInfo &mainDevice,
					 dev_t assumedMainDevice, const Config *config)
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

	// Whether the renderer uses only its own memory: configuration first, then the table.
	bool known = renderer && !mainDevice.kernelDriver.empty();
	RendererLocality locality = known ? rendererLocality(config, mainDevice.kernelDriver, "") : RendererLocality{};
	// Its implicit layout, which only the table knows.
	const RendererQuirk *quirk = known ? findRendererQuirk(mainDevice.kernelDriver, "") : nullptr;
	bool implicitIsLinear = locality.deviceLocal && quirk && quirk->implicitIsLinear;
	if (locality.deviceLocal)
		rendererNote += "; the compositor's renderer on " + mainDevice.kernelDriver + " (" + deviceName(renderer) +
				") uses only its own device's memory, and composites any buffer not on a plane: " +
				locality.reason + " [" + locality.source + "]";

	std::vector<Participant> out;
	for (size_t i = 0; i < feedback.tranches.size(); ++i) {
		const Tranche &t = feedback.tranches[i];
		Participant p;
		p.identity = WaylandTrancheIdentity{feedback.mainDevice, t.targetDevice, t.scanout(), uint32_t(i)};
		p.constraints.formats = t.formats;
		if (implicitIsLinear) {
			// Linear memory sent as INVALID is what this renderer reads anyway.
			for (const FormatSet::Entry &e : t.formats.entries())
				if (std::find(e.modifiers.begin(), e.modifiers.end(), DRM_FORMAT_MOD_INVALID) != e.modifiers.end())
					p.constraints.formats.add(e.format, DRM_FORMAT_MOD_LINEAR);
		}
		if (locality.deviceLocal)
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
