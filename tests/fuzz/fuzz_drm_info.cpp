// SPDX-License-Identifier: MIT
// libFuzzer target: parseDrmInfo() on the text of a drm_info -j dump, and what hbm makes of
// an accepted one (planeParticipants(), toDrmInfoJson() and back).
//
// Invariants, per input: no crash or undefined behaviour (ASan+UBSan; nlohmann/json is
// header-only, so its parser is under them too); a refusal is EINVAL or EFBIG with a
// printable sentence that begins with the file's name; an accepted dump holds at least one
// device, no plane over the kernel's limits (64 formats, 32 planes), every IN_FORMATS
// format among its plane's formats, one participant per plane; written back in drm_info's
// form it reads the same; the same input gives the same answer.
#include <cerrno>
#include <set>
#include <string>
#include <string_view>

#include <hbm/device_snapshot.hpp>

#include "fuzz_check.hpp"

using namespace hbm;
using namespace hbm::fuzz;

namespace {

constexpr const char *kName = "fuzz.json";

void checkAccepted(const std::vector<DeviceSnapshot> &devices)
{
	if (devices.empty())
		fail("drm_info", "accepted with no device");
	if (devices.size() > 4096)
		fail("drm_info", "accepted more devices than a 16 MiB file can describe sanely");
	for (const DeviceSnapshot &d : devices) {
		if (d.driver.empty())
			fail("drm_info", "a device without a driver name was accepted");
		if (d.planes.size() > 32)
			fail("drm_info", "more than 32 planes accepted");
		for (const PlaneSnapshot &p : d.planes) {
			if (p.formats.empty() || p.formats.size() > 64)
				fail("drm_info", "a plane with " + std::to_string(p.formats.size()) + " formats accepted");
			if (unsigned(p.type) > 2)
				fail("drm_info", "plane type " + std::to_string(unsigned(p.type)) + " accepted");
			const std::set<uint32_t> listed(p.formats.begin(), p.formats.end());
			for (const auto &[format, modifier] : p.inFormats)
				if (!listed.count(format))
					fail("drm_info", "an IN_FORMATS format outside the plane's list was accepted");
		}
		if (planeParticipants(d).size() != d.planes.size())
			fail("drm_info", "participants and planes differ in number");
	}
	auto again = parseDrmInfo(toDrmInfoJson(devices), kName);
	if (!again)
		fail("drm_info", "what hbm wrote does not read back: " + again.error().message);
	if (again->size() != devices.size())
		fail("drm_info", "written back, a different number of devices");
	for (size_t i = 0; i < devices.size(); ++i)
		if ((*again)[i].planes != devices[i].planes || (*again)[i].maxWidth != devices[i].maxWidth)
			fail("drm_info", "written back, device " + std::to_string(i) + " reads differently");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	auto devices = parseDrmInfo(text, kName);
	auto again = parseDrmInfo(text, kName);
	if (bool(devices) != bool(again))
		fail("drm_info", "the same input accepted once and refused once");
	if (devices) {
		checkAccepted(*devices);
		return 0;
	}
	checkRefusal(devices.error());
	if (devices.error().code != EINVAL && devices.error().code != EFBIG)
		fail("drm_info", "errno " + std::to_string(devices.error().code) + ": " + devices.error().message);
	if (std::string_view(devices.error().message).substr(0, std::string_view(kName).size()) != kName)
		fail("drm_info", "a refusal that does not name the file: " + devices.error().message);
	if (devices.error().message != again.error().message)
		fail("drm_info", "the same input refused two ways");
	return 0;
}
