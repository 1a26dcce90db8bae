// SPDX-License-Identifier: MIT
// KMS planes as participants, in two steps: what the device says, read into a
// DeviceSnapshot (live here, through libdrm; from a drm_info dump in drm_info_json.cpp), then
// the one function that makes participants of a snapshot: formats from IN_FORMATS, size
// limits, the IOMMU (src/base/iommu.cpp) and the driver quirks (driver_quirks.cpp) that
// shape the memory a plane can scan out.
#include <cerrno>
#include <cstdio>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <drm_fourcc.h>

#include <hbm/device_snapshot.hpp>

#include "base/error.hpp"
#include "base/iommu.hpp"
#include "base/string_format.hpp"
#include "context_private.hpp"
#include "import_probe.hpp"
#include "kms_device_private.hpp"

namespace hbm {

ForeignImportFinding foreignImportFinding(int fd, dev_t device, const std::string &driver,
					  const ForeignPageFn *makePage)
{
	const bool probe = makePage != nullptr;
	const ImportProbe found = probe ? foreignImportOf(fd, device, *makePage) : knownForeignImport(device);
	if (found.answer == ForeignImport::Importable)
		return {false, "imports foreign dma-bufs (probed: " + found.how + ")"};
	if (found.answer == ForeignImport::OwnMemoryOnly)
		return {true, "imports only its own memory (probed: " + found.how + ")"};
	const std::string notProbed = probe ? "not probed: " + found.how : "not probed yet";
	return quirkOrAssumedImport(driver, notProbed);
}

ForeignImportFinding quirkOrAssumedImport(const std::string &driver, const std::string &notProbed)
{
	if (const DriverQuirkEntry *quirk = findDriverQuirk(driver, DriverQuirk::ImportsOwnMemoryOnly))
		return {true, stringf("imports only its own memory (%s %s, %s; %s)", driver.c_str(), quirk->reason,
				      quirk->source, notProbed.c_str())};
	return {false, "foreign dma-bufs assumed importable (" + notProbed + ")"};
}

bool KmsDevice::behindIommu() const
{
	struct stat st;
	return ::fstat(d_->fd.get(), &st) == 0 && iommuOf(sysfsDeviceOf(st.st_rdev)).translated;
}

std::vector<PlaneSnapshot> readPlanes(int fd)
{
	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	std::vector<PlaneSnapshot> out;
	drm::PlaneResources planes(drmModeGetPlaneResources(fd));
	for (uint32_t i = 0; planes && i < planes->count_planes; ++i) {
		drm::Plane plane(drmModeGetPlane(fd, planes->planes[i]));
		if (!plane)
			continue;
		auto props = drm::objectProperties(fd, plane->plane_id, DRM_MODE_OBJECT_PLANE);
		auto type = props.find("type");
		PlaneSnapshot p;
		p.id = plane->plane_id;
		p.type = PlaneType(type != props.end() ? type->second.value : DRM_PLANE_TYPE_OVERLAY);
		p.possibleCrtcs = plane->possible_crtcs;
		p.formats.assign(plane->formats, plane->formats + plane->count_formats);
		auto inFormats = props.find("IN_FORMATS");
		drm::PropertyBlob blob(inFormats != props.end()
					       ? drmModeGetPropertyBlob(fd, static_cast<uint32_t>(inFormats->second.value))
					       : nullptr);
		if (blob) {
			p.hasInFormats = true;
			drmModeFormatModifierIterator iter = {};
			while (drmModeFormatModifierBlobIterNext(blob.get(), &iter))
				p.inFormats.emplace_back(iter.fmt, iter.mod);
		}
		out.push_back(std::move(p));
	}
	return out;
}

namespace {

/// What the device on @d_ says, and its facts; foreign import probed with pages from
/// @makePage when it is not null.
Result<DeviceSnapshot> snapshotOf(const KmsDevice::Private *d_, const ForeignPageFn *makePage)
{
	int fd = d_->fd.get();
	drm::Resources res(drmModeGetResources(fd));
	if (!res)
		return makeError(errno ? errno : EIO, "cannot read the KMS resources of %s", d_->path.c_str());
	struct stat node;
	if (::fstat(fd, &node) != 0)
		return makeError(errno, "cannot stat %s", d_->path.c_str());

	DeviceSnapshot s;
	s.origin = d_->path;
	s.node = d_->path;
	s.driver = d_->driver;
	s.maxWidth = res->max_width;
	s.maxHeight = res->max_height;
	uint64_t cap = 0;
	s.cursorWidth = drmGetCap(fd, DRM_CAP_CURSOR_WIDTH, &cap) == 0 ? uint32_t(cap) : 0;
	s.cursorHeight = drmGetCap(fd, DRM_CAP_CURSOR_HEIGHT, &cap) == 0 ? uint32_t(cap) : 0;
	s.addFb2Modifiers = d_->addfb2Modifiers;
	s.sysfsPath = sysfsDeviceOf(node.st_rdev);
	s.device = SnapshotFact<dev_t>{node.st_rdev, "st_rdev of " + d_->path};
	const IommuState iommu = iommuOf(s.sysfsPath);
	s.behindIommu = SnapshotFact<bool>{iommu.translated, iommu.why};
	const ForeignImportFinding foreign = foreignImportFinding(fd, node.st_rdev, d_->driver, makePage);
	s.ownMemoryOnly = SnapshotFact<bool>{foreign.ownMemoryOnly, foreign.sentence};

	s.planes = readPlanes(fd);
	return s;
}

} // namespace

FormatSet formatsOf(const PlaneSnapshot &plane)
{
	FormatSet formats;
	if (plane.hasInFormats) {
		for (const auto &[format, modifier] : plane.inFormats)
			formats.add(format, modifier);
		return formats;
	}
	// No modifier support: the driver takes LINEAR or its implicit layout.
	for (uint32_t format : plane.formats) {
		formats.add(format, DRM_FORMAT_MOD_LINEAR);
		formats.add(format, DRM_FORMAT_MOD_INVALID);
	}
	return formats;
}

void declareFacts(DeviceSnapshot &snapshot, const DeclaredDeviceFacts &facts, const std::string &source)
{
	if (facts.device)
		snapshot.device = SnapshotFact<dev_t>{*facts.device, source};
	if (facts.behindIommu)
		snapshot.behindIommu = SnapshotFact<bool>{*facts.behindIommu, source};
	if (facts.ownMemoryOnly)
		snapshot.ownMemoryOnly = SnapshotFact<bool>{*facts.ownMemoryOnly, source};
}

std::vector<Participant> planeParticipants(const DeviceSnapshot &s)
{
	const DriverQuirkEntry *dmaHelpers = findDriverQuirk(s.driver, DriverQuirk::DmaHelpers);
	const DriverQuirkEntry *offsetsTwice = findDriverQuirk(s.driver, DriverQuirk::ReadsOffsetsTwice);
	const dev_t device = s.device ? s.device->value : 0;
	const IommuState iommu = s.behindIommu ? IommuState{s.behindIommu->value, s.behindIommu->source}
					       : IommuState{false, "no IOMMU known (" + s.origin + " does not say)"};
	const ForeignImportFinding foreign = s.ownMemoryOnly
						     ? ForeignImportFinding{s.ownMemoryOnly->value, s.ownMemoryOnly->source}
						     : quirkOrAssumedImport(s.driver, "not probed: " + s.origin);

	std::vector<Participant> out;
	for (const PlaneSnapshot &plane : s.planes) {
		Participant p;
		p.identity = KmsPlaneIdentity{device, plane.id, plane.type, plane.possibleCrtcs, s.driver};
		p.sysfsPath = s.sysfsPath;
		Constraints &c = p.constraints;
		c.formats = formatsOf(plane);
		p.source = plane.hasInFormats ? "IN_FORMATS of " + s.origin : "plane formats of " + s.origin + " (no IN_FORMATS)";
		if (plane.type == PlaneType::Cursor && s.cursorWidth && s.cursorHeight) {
			c.maxWidth = s.cursorWidth;
			c.maxHeight = s.cursorHeight;
		} else {
			c.maxWidth = s.maxWidth;
			c.maxHeight = s.maxHeight;
		}
		c.planesAtStart = offsetsTwice != nullptr;
		if (offsetsTwice)
			p.source += stringf(", reads buffers only from offset 0 (%s %s)", s.driver.c_str(), offsetsTwice->reason);
		if (foreign.ownMemoryOnly)
			c.placement.localTo = device;
		p.source += "; " + foreign.sentence;
		if (dmaHelpers)
			p.source += "; " + s.driver + " " + dmaHelpers->reason + ": " + contiguousUnlessIommu(c.placement, iommu);
		else
			p.source += "; " + iommu.why + " (" + s.driver + " is not known to need contiguous memory)";
		if (s.device && s.device->source != "st_rdev of " + s.origin)
			p.source += "; device " + s.device->source;
		out.push_back(std::move(p));
	}
	return out;
}

Result<DeviceSnapshot> KmsDevice::snapshot() const
{
	return snapshotOf(d_.get(), nullptr);
}

Result<std::vector<Participant>> KmsDevice::planeParticipants() const
{
	auto s = snapshotOf(d_.get(), nullptr);
	if (!s)
		return s.error();
	return hbm::planeParticipants(*s);
}

Result<DeviceSnapshot> KmsDevice::snapshot(const Context &context) const
{
	const ForeignPageFn makePage = [&context] { return foreignPageOf(context); };
	return snapshotOf(d_.get(), &makePage);
}

Result<std::vector<Participant>> KmsDevice::planeParticipants(const Context &context) const
{
	auto s = snapshot(context);
	if (!s)
		return s.error();
	return hbm::planeParticipants(*s);
}

} // namespace hbm
