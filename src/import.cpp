// SPDX-License-Identifier: MIT
// Buffer::import(): fds and a layout from elsewhere (a client, a decoder, another process)
// are checked against the kernel's view of each fd before hbm trusts any of them.
#include <hbm/buffer.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <utility>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/magic.h>
#include <xf86drm.h>

#include <hbm/format.hpp>

#include "buffer_private.hpp"
#include "format_private.hpp"
#include "constraint_check.hpp"
#include "base/dma_buf.hpp"
#include "base/error.hpp"
#include "base/string_format.hpp"

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

/// A vendor hbm knows nothing of (libdrm names none), or a reserved value of vendor NONE.
bool unknownModifier(uint64_t modifier)
{
	if (modifier == DRM_FORMAT_MOD_INVALID || modifier == DRM_FORMAT_MOD_LINEAR)
		return false;
	if ((modifier >> 56) == DRM_FORMAT_MOD_VENDOR_NONE)
		return true;
	std::unique_ptr<char, decltype(&std::free)> vendorName(drmGetFormatModifierVendor(modifier), std::free);
	return !vendorName;
}

/// The one place an import fault becomes a sentence (the words import always used).
Error faultError(ImportFault fault, int code = EINVAL)
{
	const FormatInfo *info = findFormat(fault.format);
	const char *name = info ? info->name : "";
	const std::string what = stringf("import of %ux%u %s", fault.width, fault.height, name);
	const int i = fault.plane;
	Error e;
	switch (fault.kind) {
	case ImportFaultKind::UnknownFormat:
		e = makeError(code, "import: unknown format %s", formatName(fault.format).c_str());
		break;
	case ImportFaultKind::BadDimensions:
		e = makeError(code, "%s: width and height must be 1 to %llu", what.c_str(), (unsigned long long)fault.limit);
		break;
	case ImportFaultKind::WrongPlaneCount:
		if (fault.modifier == DRM_FORMAT_MOD_LINEAR || fault.modifier == DRM_FORMAT_MOD_INVALID)
			e = makeError(code, "%s: %s has %llu plane%s, %llu given", what.c_str(), name,
				      (unsigned long long)fault.limit, fault.limit == 1 ? "" : "s",
				      (unsigned long long)fault.value);
		else
			e = makeError(code, "%s: %s with modifier %s takes %llu to 4 planes, %llu given", what.c_str(), name,
				      modifierName(fault.modifier).c_str(), (unsigned long long)fault.limit,
				      (unsigned long long)fault.value);
		break;
	case ImportFaultKind::UnknownModifier:
		if ((fault.modifier >> 56) == DRM_FORMAT_MOD_VENDOR_NONE)
			e = makeError(code, "%s: modifier 0x%016llx is reserved: vendor NONE has only LINEAR and INVALID",
				      what.c_str(), (unsigned long long)fault.modifier);
		else
			e = makeError(code, "%s: modifier 0x%016llx has an unknown vendor (0x%02llx)", what.c_str(),
				      (unsigned long long)fault.modifier, (unsigned long long)(fault.modifier >> 56));
		break;
	case ImportFaultKind::FdNotOpen:
		e = makeError(code, "%s: plane %d: fd %d is not open", what.c_str(), i, fault.fd);
		break;
	case ImportFaultKind::NotDmaBuf:
		e = makeError(code, "%s: plane %d: fd %d is not a dma-buf (it is %s)", what.c_str(), i, fault.fd,
			      fault.fdTarget.c_str());
		break;
	case ImportFaultKind::StrideBelowRow:
		e = makeError(code, "%s: plane %d: stride %llu is smaller than a row (%llu bytes)", what.c_str(), i,
			      (unsigned long long)fault.value, (unsigned long long)fault.limit);
		break;
	case ImportFaultKind::PlaneOverflows:
		e = makeError(code, "%s: plane %d: offset %llu + %llu bytes overflows", what.c_str(), i,
			      (unsigned long long)fault.offset, (unsigned long long)fault.value);
		break;
	case ImportFaultKind::PlanePastEnd:
		e = makeError(code, "%s: plane %d: offset %llu + %llu bytes runs past the end of its %lld-byte dma-buf",
			      what.c_str(), i, (unsigned long long)fault.offset, (unsigned long long)fault.value,
			      (long long)fault.limit);
		break;
	case ImportFaultKind::PlanesSplit:
		e = makeError(code, "%s: planes 0 and %d are different buffers; modifier %s keeps every plane in one",
			      what.c_str(), i, modifierName(fault.modifier).c_str());
		break;
	case ImportFaultKind::SystemCall:
		if (fault.call == "fstatfs")
			e = makeError(code, "%s: plane %d: cannot tell whether fd %d is a dma-buf (fstatfs failed)",
				      what.c_str(), i, fault.fd);
		else if (fault.call == "lseek")
			e = makeError(code, "%s: plane %d: cannot size fd %d (lseek)", what.c_str(), i, fault.fd);
		else if (fault.call == "fstat")
			e = makeError(code, "%s: plane %d: fstat of fd %d failed", what.c_str(), i, fault.fd);
		else
			e = makeError(code, "%s: plane %d: cannot duplicate fd %d", what.c_str(), i, fault.fd);
		break;
	}
	e.importFault = std::make_shared<const ImportFault>(std::move(fault));
	return e;
}

} // namespace

const char *importFaultKindName(ImportFaultKind kind)
{
	switch (kind) {
	case ImportFaultKind::UnknownFormat: return "unknown format";
	case ImportFaultKind::BadDimensions: return "bad dimensions";
	case ImportFaultKind::WrongPlaneCount: return "wrong plane count";
	case ImportFaultKind::UnknownModifier: return "unknown modifier";
	case ImportFaultKind::FdNotOpen: return "fd not open";
	case ImportFaultKind::NotDmaBuf: return "not a dma-buf";
	case ImportFaultKind::StrideBelowRow: return "stride below a row";
	case ImportFaultKind::PlaneOverflows: return "plane overflows";
	case ImportFaultKind::PlanePastEnd: return "plane past the end";
	case ImportFaultKind::PlanesSplit: return "planes split";
	case ImportFaultKind::SystemCall: return "system call failed";
	}
	return "?";
}

Result<std::shared_ptr<Buffer>> importBuffer(const ImportView &desc, AdoptedFds *adopt)
{
	// The request's own values go into every fault; each check adds what it found.
	auto fault = [&](ImportFaultKind kind, int plane = -1) {
		ImportFault f;
		f.kind = kind;
		f.format = desc.format;
		f.modifier = desc.modifier;
		f.width = desc.width;
		f.height = desc.height;
		f.plane = plane;
		if (plane >= 0) {
			f.fd = desc.planes[size_t(plane)].fd;
			f.offset = desc.planes[size_t(plane)].offset;
		}
		return f;
	};
	const FormatInfo *info = findFormatInline(desc.format);
	if (!info)
		return faultError(fault(ImportFaultKind::UnknownFormat));
	// The format is known (found once, above): what is left of the request rule is the size.
	if (!validDimension(desc.width) || !validDimension(desc.height)) {
		ImportFault f = fault(ImportFaultKind::BadDimensions);
		f.limit = kMaxDimension;
		return faultError(std::move(f));
	}
	if (unknownModifier(desc.modifier))
		return faultError(fault(ImportFaultKind::UnknownModifier));

	const bool linearish = desc.modifier == DRM_FORMAT_MOD_LINEAR || desc.modifier == DRM_FORMAT_MOD_INVALID;
	const size_t n = desc.planes.size();
	if ((linearish && n != info->planeCount) || (!linearish && (n < info->planeCount || n > 4))) {
		ImportFault f = fault(ImportFaultKind::WrongPlaneCount);
		f.value = n;
		f.limit = info->planeCount;
		return faultError(std::move(f));
	}
	// A system call about plane @i failed with @code.
	auto callFailed = [&](size_t i, const char *call, int code) {
		ImportFault f = fault(ImportFaultKind::SystemCall, int(i));
		f.call = call;
		return faultError(std::move(f), code);
	};

	// Written in place into the buffer it becomes; n is 1 to 4 here: plane tables held inline.
	BufferBuilder made;
	Allocation &storage = made.state().storage;
	Layout &layout = storage.layout;
	layout.format = desc.format; // its planes and size: empty in a new buffer
	layout.modifier = desc.modifier;
	layout.width = desc.width;
	layout.height = desc.height;
	struct FileId {
		dev_t dev;
		ino_t ino;
		bool operator==(const FileId &) const = default;
	};
	PlaneArray<FileId> ids; // per memory: which dma-buf it is
	for (size_t i = 0; i < n; ++i) {
		const PlaneImport &p = desc.planes[i];
		// One fstat tells a dma-buf, which one it is, and its real size (identifyDmaBuf()).
		DmaBufIdentity id;
		const int asked = p.fd < 0 ? -EBADF : identifyDmaBuf(p.fd, &id);
		if (asked == -EBADF)
			return faultError(fault(ImportFaultKind::FdNotOpen, int(i)), EBADF);
		if (asked < 0)
			return callFailed(i, id.failedCall ? id.failedCall : "fstat", -asked);
		if (!id.dmaBuf) {
			ImportFault f = fault(ImportFaultKind::NotDmaBuf, int(i));
			f.fdTarget = describeFd(p.fd);
			return faultError(std::move(f));
		}
		const uint64_t realSize = id.size;

		PlaneLayout plane{p.offset, p.stride, 0};
		if (i < info->planeCount) {
			const PlaneFormat &pf = info->planes[i];
			const uint64_t blocks = ((uint64_t(desc.width) + pf.hsub - 1) / pf.hsub + pf.blockWidth - 1) /
						pf.blockWidth;
			const uint64_t rowBytes = blocks * pf.bytesPerBlock;
			// Every layout's rows are at least a row of pixels apart (the kernel's
			// framebuffer_check() asks the same of every modifier).
			if (p.stride < rowBytes) {
				ImportFault f = fault(ImportFaultKind::StrideBelowRow, int(i));
				f.value = p.stride;
				f.limit = rowBytes;
				return faultError(std::move(f));
			}
			const uint64_t rows = (uint64_t(desc.height) + pf.vsub - 1) / pf.vsub;
			// 32-bit strides times at most 65536 rows: 64 bits always hold it.
			plane.size = uint64_t(p.stride) * rows;
		} else if (p.offset < realSize) {
			plane.size = realSize - p.offset; // an auxiliary plane: to the end
		}
		// A description that fits no buffer is EINVAL, whichever number is at fault.
		uint64_t end;
		if (__builtin_add_overflow(p.offset, plane.size, &end)) {
			ImportFault f = fault(ImportFaultKind::PlaneOverflows, int(i));
			f.value = plane.size;
			return faultError(std::move(f));
		}
		if (end > realSize || p.offset >= realSize) {
			ImportFault f = fault(ImportFaultKind::PlanePastEnd, int(i));
			f.value = plane.size;
			f.limit = realSize;
			return faultError(std::move(f));
		}

		// Planes of a vendor layout (tiles, compression data) live in one buffer.
		const FileId file{id.dev, id.ino};
		if (!linearish && i > 0 && !(file == ids[0]))
			return faultError(fault(ImportFaultKind::PlanesSplit, int(i)));

		// Planes of one dma-buf share one descriptor of ours.
		size_t m = 0;
		while (m < ids.size() && !(ids[m] == file))
			++m;
		if (m == ids.size()) {
			SharedFd fd;
			if (adopt) {
				// A descriptor the caller hands over (received ones): take it, no dup.
				for (int &owned : *adopt)
					if (owned == p.fd)
						fd = SharedFd(UniqueFd(std::exchange(owned, -1)));
			}
			if (!fd) {
				UniqueFd dup(::fcntl(p.fd, F_DUPFD_CLOEXEC, 0));
				if (!dup)
					return callFailed(i, "fcntl(F_DUPFD_CLOEXEC)", errno);
				fd = SharedFd(std::move(dup));
			}
			storage.memories.emplace_back(std::move(fd), realSize);
			ids.push_back(file);
		}
		storage.planeMemory.push_back(uint8_t(m));
		layout.planes.push_back(plane);
		layout.size = std::max(layout.size, end);
	}
	static const std::string &received = interned("received"), &imported = interned("import");
	made.state().provenance.origin = adopt ? &received : &imported;
	return std::move(made).finish();
}

Result<std::shared_ptr<Buffer>> Buffer::import(const ImportDesc &desc)
{
	return importBuffer({desc.width, desc.height, desc.format, desc.modifier, desc.planes}, nullptr);
}

} // namespace hbm
