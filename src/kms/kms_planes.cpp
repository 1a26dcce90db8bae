// SPDX-License-Identifier: MIT
// KMS planes as participants: formats from IN_FORMATS, size limits, the IOMMU (src/iommu.cpp),
// and the driver quirks (src/kms/driver_quirks.cpp) that shape the memory a plane can scan out.
#include <cerrno>
#include <sys/stat.h>

#include <drm_fourcc.h>

#include "base/error.hpp"
#include "import_probe.hpp"
#include "base/iommu.hpp"
#include "context_private.hpp"
#include "kms_device_private.hpp"
#include "base/string_format.hpp"

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

namespace {

/// planeParticipants(), probing foreign import with pages from @makePage when it is not null.
Result<std::vector<Participant>> planesOf(const KmsDevice::Private *d_, const ForeignPageFn *makePage)
{
	int fd = d_->fd.get();
	drm::Resources res(drmModeGetResources(fd));
	drm::PlaneResources planes(drmModeGetPlaneResources(fd));
	if (!res || !planes)
		return makeError(errno ? errno : EIO, "cannot read the planes of %s", d_->path.c_str());
	uint64_t cursorW = 0, cursorH = 0;
	drmGetCap(fd, DRM_CAP_CURSOR_WIDTH, &cursorW);
	drmGetCap(fd, DRM_CAP_CURSOR_HEIGHT, &cursorH);
	const DriverQuirkEntry *dmaHelpers = findDriverQuirk(d_->driver, DriverQuirk::DmaHelpers);
	const DriverQuirkEntry *offsetsTwice = findDriverQuirk(d_->driver, DriverQuirk::ReadsOffsetsTwice);
	struct stat node;
	if (::fstat(fd, &node) != 0)
		return makeError(errno, "cannot stat %s", d_->path.c_str());
	const std::string sysfsPath = sysfsDeviceOf(node.st_rdev);
	const IommuState iommu = iommuOf(sysfsPath);
	const ForeignImportFinding foreign = foreignImportFinding(fd, node.st_rdev, d_->driver, makePage);

	std::vector<Participant> out;
	for (uint32_t i = 0; i < planes->count_planes; ++i) {
		drm::Plane plane(drmModeGetPlane(fd, planes->planes[i]));
		if (!plane)
			continue;
		auto props = drm::objectProperties(fd, plane->plane_id, DRM_MODE_OBJECT_PLANE);
		auto type = props.find("type");
		const uint64_t t = type != props.end() ? type->second.value : DRM_PLANE_TYPE_OVERLAY;

		Participant p;
		p.identity = KmsPlaneIdentity{node.st_rdev, plane->plane_id, PlaneType(t), plane->possible_crtcs, d_->driver};
		p.sysfsPath = sysfsPath;
		Constraints &c = p.constraints;
		auto inFormats = props.find("IN_FORMATS");
		drm::PropertyBlob blob(inFormats != props.end()
					       ? drmModeGetPropertyBlob(fd, static_cast<uint32_t>(inFormats->second.value))
					       : nullptr);
		if (blob) {
			drmModeFormatModifierIterator iter = {};
			while (drmModeFormatModifierBlobIterNext(blob.get(), &iter))
				c.formats.add(iter.fmt, iter.mod);
			p.source = "IN_FORMATS of " + d_->path;
		} else {
			// No modifier support: the driver takes LINEAR or its implicit layout.
			for (uint32_t f = 0; f < plane->count_formats; ++f) {
				c.formats.add(plane->formats[f], DRM_FORMAT_MOD_LINEAR);
				c.formats.add(plane->formats[f], DRM_FORMAT_MOD_INVALID);
			}
			p.source = "plane formats of " + d_->path + " (no IN_FORMATS)";
		}
		if (t == DRM_PLANE_TYPE_CURSOR && cursorW && cursorH) {
			c.maxWidth = uint32_t(cursorW);
			c.maxHeight = uint32_t(cursorH);
		} else {
			c.maxWidth = res->max_width;
			c.maxHeight = res->max_height;
		}
		c.planesAtStart = offsetsTwice != nullptr;
		if (offsetsTwice)
			p.source += stringf(", reads buffers only from offset 0 (%s %s)", d_->driver.c_str(), offsetsTwice->reason);
		if (foreign.ownMemoryOnly)
			c.placement.localTo = node.st_rdev;
		p.source += "; " + foreign.sentence;
		if (dmaHelpers)
			p.source += "; " + d_->driver + " " + dmaHelpers->reason + ": " + contiguousUnlessIommu(c.placement, iommu);
		else
			p.source += "; " + iommu.why + " (" + d_->driver + " is not known to need contiguous memory)";
		out.push_back(std::move(p));
	}
	return out;
}

} // namespace

Result<std::vector<Participant>> KmsDevice::planeParticipants() const
{
	return planesOf(d_.get(), nullptr);
}

Result<std::vector<Participant>> KmsDevice::planeParticipants(const Context &context) const
{
	const ForeignPageFn makePage = [&context] { return foreignPageOf(context); };
	return planesOf(d_.get(), &makePage);
}

} // namespace hbm
