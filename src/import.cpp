// SPDX-License-Identifier: MIT
// Buffer::import(): fds and a layout from elsewhere (a client, a decoder, another process)
// are checked against the kernel's view of each fd before hbm trusts any of them.
#include <hbm/buffer.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/magic.h>
#include <xf86drm.h>

#include <hbm/format.hpp>

#include "buffer_private.hpp"
#include "dma_buf.hpp"
#include "error.hpp"
#include "string_format.hpp"

namespace hbm {

namespace {

/// What @fd is, for an error message: "/tmp/x", "socket:[123]" …
std::string describeFd(int fd)
{
	char target[256] = {};
	std::string link = "/proc/self/fd/" + std::to_string(fd);
	if (::readlink(link.c_str(), target, sizeof(target) - 1) < 0)
		return "?";
	return target;
}

Result<void> checkModifier(uint64_t modifier)
{
	if (modifier == DRM_FORMAT_MOD_INVALID || modifier == DRM_FORMAT_MOD_LINEAR)
		return {};
	const uint64_t vendor = modifier >> 56;
	std::unique_ptr<char, decltype(&std::free)> vendorName(drmGetFormatModifierVendor(modifier), std::free);
	if (vendor == DRM_FORMAT_MOD_VENDOR_NONE)
		return makeError(EINVAL, "modifier 0x%016llx is reserved: vendor NONE has only LINEAR and INVALID",
				 (unsigned long long)modifier);
	if (!vendorName)
		return makeError(EINVAL, "modifier 0x%016llx has an unknown vendor (0x%02llx)",
				 (unsigned long long)modifier, (unsigned long long)vendor);
	return {};
}

} // namespace

Result<std::shared_ptr<Buffer>> importBuffer(const ImportDesc &desc, std::vector<UniqueFd> *adopt)
{
	const FormatInfo *info = findFormat(desc.format);
	if (!info)
		return makeError(EINVAL, "import: unknown format %s", formatName(desc.format).c_str());
	// Built only for an error message: formatting is not free on the receive path.
	auto describe = [&] { return stringf("import of %ux%u %s", desc.width, desc.height, info->name); };
	if (desc.width == 0 || desc.height == 0 || desc.width > kMaxDimension || desc.height > kMaxDimension)
		return makeError(EINVAL, "%s: width and height must be 1 to %u", describe().c_str(), kMaxDimension);
	if (auto ok = checkModifier(desc.modifier); !ok)
		return withContext(ok.error(), describe());

	const bool linearish = desc.modifier == DRM_FORMAT_MOD_LINEAR || desc.modifier == DRM_FORMAT_MOD_INVALID;
	const size_t n = desc.planes.size();
	if (linearish && n != info->planeCount)
		return makeError(EINVAL, "%s: %s has %u plane%s, %zu given", describe().c_str(), info->name,
				 info->planeCount, info->planeCount == 1 ? "" : "s", n);
	if (!linearish && (n < info->planeCount || n > 4))
		return makeError(EINVAL, "%s: %s with modifier %s takes %u to 4 planes, %zu given",
				 describe().c_str(), info->name, modifierName(desc.modifier).c_str(),
				 info->planeCount, n);

	Layout layout{desc.format, desc.modifier, desc.width, desc.height, {}, 0};
	layout.planes.reserve(n);
	// n is 1 to 4 here: plane tables held inline.
	PlaneArray<SharedFd> fds;
	PlaneArray<struct stat> stats;
	PlaneArray<uint64_t> sizes;
	fds.reserve(n);
	stats.reserve(n);
	sizes.reserve(n);
	for (size_t i = 0; i < n; ++i) {
		const PlaneImport &p = desc.planes[i];
		const int dmaBuf = p.fd < 0 ? -EBADF : isDmaBuf(p.fd);
		if (dmaBuf == -EBADF)
			return makeError(EBADF, "%s: plane %zu: fd %d is not open", describe().c_str(), i, p.fd);
		if (dmaBuf < 0)
			return makeError(-dmaBuf, "%s: plane %zu: cannot tell whether fd %d is a dma-buf (fstatfs failed)",
					 describe().c_str(), i, p.fd);
		if (dmaBuf == 0)
			return makeError(EINVAL, "%s: plane %zu: fd %d is not a dma-buf (it is %s)", describe().c_str(), i,
					 p.fd, describeFd(p.fd).c_str());
		// Which dma-buf it is matters only to compare planes: one plane needs no fstat.
		struct stat st = {};
		if (n > 1 && ::fstat(p.fd, &st) < 0)
			return makeError(errno, "%s: plane %zu: fstat of fd %d failed", describe().c_str(), i, p.fd);
		// A dma-buf's size is what SEEK_END reports; its file position means nothing.
		off_t realSize = ::lseek(p.fd, 0, SEEK_END);
		if (realSize < 0)
			return makeError(errno, "%s: plane %zu: cannot size fd %d (lseek)", describe().c_str(), i, p.fd);

		PlaneLayout plane{p.offset, p.stride, 0};
		if (i < info->planeCount) {
			const PlaneFormat &pf = info->planes[i];
			const uint64_t blocks = ((uint64_t(desc.width) + pf.hsub - 1) / pf.hsub + pf.blockWidth - 1) /
						pf.blockWidth;
			const uint64_t rowBytes = blocks * pf.bytesPerBlock;
			// Every layout's rows are at least a row of pixels apart (the kernel's
			// framebuffer_check() asks the same of every modifier).
			if (p.stride < rowBytes)
				return makeError(EINVAL, "%s: plane %zu: stride %u is smaller than a row (%llu bytes)",
						 describe().c_str(), i, p.stride, (unsigned long long)rowBytes);
			const uint64_t rows = (uint64_t(desc.height) + pf.vsub - 1) / pf.vsub;
			// 32-bit strides times at most 65536 rows: 64 bits always hold it.
			plane.size = uint64_t(p.stride) * rows;
		} else if (p.offset < uint64_t(realSize)) {
			plane.size = uint64_t(realSize) - p.offset; // an auxiliary plane: to the end
		}
		// A description that fits no buffer is EINVAL, whichever number is at fault.
		uint64_t end;
		if (__builtin_add_overflow(p.offset, plane.size, &end))
			return makeError(EINVAL, "%s: plane %zu: offset %llu + %llu bytes overflows",
					 describe().c_str(), i, (unsigned long long)p.offset, (unsigned long long)plane.size);
		if (end > uint64_t(realSize) || p.offset >= uint64_t(realSize))
			return makeError(EINVAL, "%s: plane %zu: offset %llu + %llu bytes runs past the end of its %lld-byte dma-buf",
					 describe().c_str(), i, (unsigned long long)p.offset,
					 (unsigned long long)plane.size, (long long)realSize);

		// Planes of a vendor layout (tiles, compression data) live in one buffer.
		if (!linearish && i > 0 && (st.st_ino != stats[0].st_ino || st.st_dev != stats[0].st_dev))
			return makeError(EINVAL, "%s: planes 0 and %zu are different buffers; modifier %s keeps every plane in one",
					 describe().c_str(), i, modifierName(desc.modifier).c_str());

		// Planes of one dma-buf share one descriptor of ours.
		SharedFd fd;
		for (size_t j = 0; j < i; ++j)
			if (stats[j].st_ino == st.st_ino && stats[j].st_dev == st.st_dev)
				fd = fds[j];
		if (!fd && adopt) {
			// A descriptor the caller hands over (received ones): take it, no dup.
			for (UniqueFd &owned : *adopt)
				if (owned.get() == p.fd)
					fd = SharedFd(std::move(owned));
		}
		if (!fd) {
			UniqueFd dup(::fcntl(p.fd, F_DUPFD_CLOEXEC, 0));
			if (!dup)
				return makeError(errno, "%s: plane %zu: cannot duplicate fd %d", describe().c_str(), i, p.fd);
			fd = SharedFd(std::move(dup));
		}
		sizes.push_back(uint64_t(realSize));
		layout.planes.push_back(plane);
		layout.size = std::max(layout.size, end);
		fds.push_back(std::move(fd));
		stats.push_back(st);
	}
	Provenance provenance;
	provenance.origin = adopt ? "received" : "import";
	return BufferFactory::fromCheckedAllocation(std::move(layout), std::move(fds), std::move(sizes), true,
						    std::move(provenance));
}

Result<std::shared_ptr<Buffer>> Buffer::import(const ImportDesc &desc)
{
	return importBuffer(desc, nullptr);
}

} // namespace hbm
