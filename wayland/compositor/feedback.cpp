// SPDX-License-Identifier: MIT
// linux-dmabuf feedback built from participants: the format table every tranche indexes,
// kept in one sealed memfd that every client maps (wlroots shares one table the same way).
#include <hbm/wayland/compositor.hpp>

#include <cerrno>
#include <cstring>
#include <map>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compositor_private.hpp"

namespace hbm::wayland {

namespace {

/// The DRM device a renderer participant renders on, 0 if it names none.
dev_t rendererDevice(const Participant &renderer)
{
	if (auto *egl = std::get_if<EglDisplayIdentity>(&renderer.identity); egl && egl->device)
		return egl->device;
	if (auto *plane = std::get_if<KmsPlaneIdentity>(&renderer.identity); plane && plane->device)
		return plane->device;
	return renderer.constraints.placement.localTo;
}

/// The wire form of the table (zwp_linux_dmabuf_feedback_v1.format_table): 16 bytes per
/// pair, format then 4 bytes of padding then modifier, in host byte order.
struct WireEntry {
	uint32_t format;
	uint32_t padding;
	uint64_t modifier;
};
static_assert(sizeof(WireEntry) == 16);

} // namespace

Result<Feedback> Feedback::fromParticipants(const Participant &renderer, std::span<const Participant> scanoutPlanes,
					    dev_t mainDeviceGiven)
{
	const dev_t mainDevice = mainDeviceGiven ? mainDeviceGiven : rendererDevice(renderer);
	if (!mainDevice)
		return detail::error(EINVAL, "feedback: the renderer " + renderer.name() +
						     " names no DRM device (an EGL display's or KMS device's, or a device it is local to)");
	if (renderer.constraints.formats.empty())
		return detail::error(EINVAL, "feedback: the renderer " + renderer.name() + " takes no format");

	// Scanout pairs per KMS device, only those the renderer can composite too.
	std::map<dev_t, FormatSet> scanout;
	for (const Participant &p : scanoutPlanes) {
		auto *plane = std::get_if<KmsPlaneIdentity>(&p.identity);
		if (!plane)
			return detail::error(EINVAL, "feedback: " + p.name() + " is not a KMS plane");
		if (plane->type == PlaneType::Cursor)
			continue;
		scanout[plane->device] = scanout[plane->device].unite(p.constraints.formats);
	}

	auto data = std::make_shared<Data>();
	data->mainDevice = mainDevice;
	std::map<std::pair<uint32_t, uint64_t>, uint16_t> index;
	auto tranche = [&](dev_t target, bool isScanout, const FormatSet &formats) -> Result<void> {
		FeedbackTranche t{target, isScanout, {}};
		for (const FormatSet::Entry &e : formats.entries())
			for (uint64_t modifier : e.modifiers) {
				auto [it, added] = index.try_emplace({e.format, modifier}, uint16_t(data->table.size()));
				if (added) {
					if (data->table.size() > UINT16_MAX)
						return detail::error(E2BIG, "feedback: more than 65536 format/modifier pairs "
									    "(tranche indices are 16 bits)");
					data->table.push_back({e.format, modifier});
				}
				t.indices.push_back(it->second);
			}
		data->formats = data->formats.unite(formats);
		data->tranches.push_back(std::move(t));
		return {};
	};
	for (const auto &[device, formats] : scanout) {
		FormatSet both = formats.intersect(renderer.constraints.formats);
		if (both.empty())
			continue;
		if (auto ok = tranche(device, true, both); !ok)
			return ok.error();
	}
	if (auto ok = tranche(mainDevice, false, renderer.constraints.formats); !ok)
		return ok.error();

	std::vector<WireEntry> wire;
	wire.reserve(data->table.size());
	for (const FormatTableEntry &e : data->table)
		wire.push_back({e.format, 0, e.modifier});
	data->tableSize = wire.size() * sizeof(WireEntry);
	UniqueFd fd(::memfd_create("hbm-dmabuf-feedback", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	if (!fd)
		return detail::error(errno, "feedback: memfd_create for the format table failed");
	const char *bytes = reinterpret_cast<const char *>(wire.data());
	for (size_t done = 0; done < data->tableSize;) {
		const ssize_t n = ::write(fd.get(), bytes + done, data->tableSize - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return detail::error(n < 0 ? errno : EIO, "feedback: writing the format table failed");
		done += size_t(n);
	}
	// Clients map it read-only; the seals make sure nobody can change it under them.
	if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return detail::error(errno, "feedback: sealing the format table failed");
	data->tableFd = std::move(fd);
	return Feedback(std::move(data));
}

bool Feedback::empty() const
{
	return !d_;
}

dev_t Feedback::mainDevice() const
{
	return d_ ? d_->mainDevice : 0;
}

std::span<const FormatTableEntry> Feedback::formatTable() const
{
	if (!d_)
		return {};
	return d_->table;
}

std::span<const FeedbackTranche> Feedback::tranches() const
{
	if (!d_)
		return {};
	return d_->tranches;
}

const FormatSet &Feedback::formats() const
{
	static const FormatSet none;
	return d_ ? d_->formats : none;
}

int Feedback::formatTableFd() const
{
	return d_ ? d_->tableFd.get() : -1;
}

size_t Feedback::formatTableSize() const
{
	return d_ ? d_->tableSize : 0;
}

} // namespace hbm::wayland
