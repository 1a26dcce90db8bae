// SPDX-License-Identifier: MIT
#include "base/iommu.hpp"

#include <xf86drm.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/string_format.hpp"

namespace hbm {

IommuState iommuOf(const std::string &sysfsDevice)
{
	if (sysfsDevice.empty())
		return {false, "no sysfs directory known (taken as no IOMMU)"};
	const std::string link = sysfsDevice + "/iommu_group";
	struct stat st;
	if (::stat(link.c_str(), &st) != 0)
		return {false, "no iommu_group in " + sysfsDevice};
	// The group's name is its directory's: /sys/kernel/iommu_groups/N.
	char resolved[PATH_MAX];
	std::string group = ::realpath(link.c_str(), resolved) ? resolved : link;
	group = group.substr(group.rfind('/') + 1);
	std::ifstream in(link + "/type");
	std::string type;
	if (!(in >> type))
		return {true, "IOMMU group " + group + " (no domain type shown: taken as translating)"};
	if (type == "identity" || type == "blocked")
		return {false, "IOMMU group " + group + " in " + type + " mode, which does not translate"};
	return {true, "IOMMU group " + group + " (" + type + ")"};
}


std::string contiguousUnlessIommu(Placement &placement, const IommuState &iommu)
{
	placement.contiguous = !iommu.translated;
	return "contiguous unless an IOMMU maps it: " + iommu.why +
	       (iommu.translated ? " maps it, so scattered allowed" : ", so contiguous");
}

} // namespace hbm

namespace hbm_seam {

std::string sysfsDeviceOf(dev_t device)
{
	const std::string dir = hbm::stringf("/sys/dev/char/%u:%u/device", major(device), minor(device));
	char resolved[PATH_MAX];
	return ::realpath(dir.c_str(), resolved) ? resolved : dir;
}

std::string drmDriverOf(int fd)
{
	drmVersionPtr version = drmGetVersion(fd);
	std::string name = version && version->name ? std::string(version->name, size_t(version->name_len)) : "";
	drmFreeVersion(version);
	return name;
}

} // namespace hbm_seam
