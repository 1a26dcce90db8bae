// SPDX-License-Identifier: MIT
#include <hbm/participant.hpp>

#include <sys/sysmacros.h>

#include "base/string_format.hpp"

namespace hbm {

namespace {

const char *planeTypeName(PlaneType type)
{
	switch (type) {
	case PlaneType::Primary: return "primary";
	case PlaneType::Cursor: return "cursor";
	case PlaneType::Overlay: return "overlay";
	}
	return "unknown";
}

struct NameOf {
	std::string operator()(const DeclaredIdentity &d) const { return d.name + " (declared)"; }
	std::string operator()(const KmsPlaneIdentity &k) const
	{
		return stringf("%s %s plane %u (%u:%u)", k.driver.c_str(), planeTypeName(k.type), k.planeId,
			       major(k.device), minor(k.device));
	}
	std::string operator()(const V4l2QueueIdentity &v) const
	{
		return stringf("%s %s queue (%u:%u)", v.driver.c_str(),
			       v.queue == V4l2Queue::Capture ? "capture" : "output", major(v.device), minor(v.device));
	}
	std::string operator()(const EglDisplayIdentity &e) const
	{
		if (!e.device)
			return "EGL display (device unknown)";
		return stringf("%s EGL display (%u:%u)", e.driver.empty() ? "unknown-driver" : e.driver.c_str(),
			       major(e.device), minor(e.device));
	}
	std::string operator()(const WaylandTrancheIdentity &w) const
	{
		if (!w.mainDevice)
			return "Wayland compositor formats (v3, device unknown)";
		return stringf("Wayland compositor %stranche %u for (%u:%u)", w.scanout ? "scanout " : "", w.index,
			       major(w.targetDevice), minor(w.targetDevice));
	}
};

} // namespace

std::string identityName(const ParticipantIdentity &identity)
{
	return std::visit(NameOf{}, identity);
}

std::string Participant::drmDriver() const
{
	const auto *plane = std::get_if<KmsPlaneIdentity>(&identity);
	return plane ? plane->driver : std::string();
}

std::string Participant::v4l2Card() const
{
	const auto *queue = std::get_if<V4l2QueueIdentity>(&identity);
	return queue ? queue->card : std::string();
}

bool Participant::isPlane(PlaneType type) const
{
	const auto *plane = std::get_if<KmsPlaneIdentity>(&identity);
	return plane && plane->type == type;
}

const Participant *findPlane(const std::vector<Participant> &participants, PlaneType type)
{
	for (const Participant &p : participants)
		if (p.isPlane(type))
			return &p;
	return nullptr;
}

Participant declaredParticipant(std::string name, FormatSet formats)
{
	Participant p;
	p.identity = DeclaredIdentity{std::move(name)};
	p.source = "declared by the caller";
	p.constraints.formats = std::move(formats);
	return p;
}

} // namespace hbm
