// SPDX-License-Identifier: MIT
#include "allocator.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <xf86drm.h>

#include <drm_fourcc.h>
#include <linux/magic.h>

#include <hbm/format.hpp>

#include "error.hpp"
#include "string_format.hpp"

namespace hbm {

const char *allocatorKindName(AllocatorKind kind)
{
	switch (kind) {
	case AllocatorKind::DmaHeap: return "dma-heap";
	case AllocatorKind::Udmabuf: return "udmabuf";
	case AllocatorKind::DrmDumb: return "dumb";
	case AllocatorKind::Gbm: return "gbm";
	case AllocatorKind::Memfd: return "memfd";
	}
	return "?";
}

namespace {

/// Fills in what a DRM node is, refusing what is not one.
Result<DrmNode> describeDrmNode(UniqueFd fd, std::string path)
{
	struct stat st;
	if (::fstat(fd.get(), &st) != 0)
		return makeError(errno, "cannot stat %s", path.c_str());
	drmVersionPtr version = S_ISCHR(st.st_mode) ? drmGetVersion(fd.get()) : nullptr;
	if (!version)
		return makeError(ENODEV, "%s is not a DRM device", path.c_str());
	DrmNode node;
	node.driver = version->name ? version->name : "?";
	drmFreeVersion(version);
	node.fd = std::move(fd);
	node.path = std::move(path);
	node.device = st.st_rdev;
	return node;
}

} // namespace

Result<DrmNode> openDrmForAllocation(const std::string &path)
{
	UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
	if (!fd)
		return makeError(errno, "cannot open %s", path.c_str());
	if (drmIsMaster(fd.get()) && drmDropMaster(fd.get()) != 0)
		return makeError(errno, "cannot drop the DRM master this open of %s took", path.c_str());
	return describeDrmNode(std::move(fd), path);
}

Result<DrmNode> adoptDrmFd(int fd)
{
	if (fd < 0)
		return makeError(EBADF, "DRM fd %d is not a descriptor", fd);
	UniqueFd dup(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
	if (!dup)
		return makeError(errno == EBADF ? EBADF : errno, "DRM fd %d: cannot duplicate it (is it open?)", fd);
	return describeDrmNode(std::move(dup), stringf("DRM fd %d", fd));
}

FormatSet linearFormats()
{
	FormatSet set;
	for (const FormatInfo &f : knownFormats())
		set.add(f.fourcc, DRM_FORMAT_MOD_LINEAR);
	return set;
}

Allocation singleFdAllocation(Layout layout, SharedFd fd, uint64_t fdSize)
{
	Allocation a;
	a.planeFds.assign(layout.planes.size(), fd);
	a.planeFdSizes.assign(layout.planes.size(), fdSize);
	a.layout = std::move(layout);
	return a;
}

namespace {

bool verifyWithKernel()
{
	static const bool verify = [] {
		const char *v = std::getenv("HBM_VERIFY_ALLOCATIONS");
		return v && *v && std::string_view(v) != "0";
	}();
	return verify;
}

} // namespace

Result<Allocation> Allocator::allocate(const AllocationRequest &request)
{
	// Built only when a message needs it: naming a format costs libdrm allocations.
	auto what = [&] {
		return stringf("%ux%u %s", request.width, request.height, formatName(request.format).c_str());
	};
	bool anyModifier = std::any_of(request.modifiers.begin(), request.modifiers.end(),
				       [&](uint64_t m) { return info_.formats.contains(request.format, m); });
	if (!anyModifier) {
		std::string asked;
		for (uint64_t m : request.modifiers)
			asked += (asked.empty() ? "" : ", ") + modifierName(m);
		return makeError(ENOTSUP, "%s cannot make %s with modifier %s", info_.name.c_str(),
				 what().c_str(), asked.empty() ? "(none given)" : asked.c_str());
	}

	auto result = doAllocate(request);
	if (!result)
		return withContext(result.error(), info_.name);

	// What every backend promises. A broken promise is this project's bug, reported as such.
	const Allocation &a = *result;
	auto broken = [&](const std::string &why) {
		return makeError(EPROTO, "%s broke its promise for %s: %s", info_.name.c_str(),
				 what().c_str(), why.c_str());
	};
	if (a.layout.width != request.width || a.layout.height != request.height ||
	    a.layout.format != request.format)
		return broken("it made a different image");
	if (std::find(request.modifiers.begin(), request.modifiers.end(), a.layout.modifier) ==
	    request.modifiers.end())
		return broken("modifier " + modifierName(a.layout.modifier) + " was not asked for");
	if (a.layout.planes.empty() || a.layout.planes.size() > 4 ||
	    a.planeFds.size() != a.layout.planes.size())
		return broken(stringf("%zu planes with %zu descriptors", a.layout.planes.size(),
				      a.planeFds.size()));
	const bool reported = a.planeFdSizes.size() == a.layout.planes.size();
	std::vector<uint64_t> sizes = reported ? std::move(result->planeFdSizes)
					       : std::vector<uint64_t>(a.layout.planes.size());
	for (size_t i = 0; i < a.layout.planes.size(); ++i) {
		const PlaneLayout &p = a.layout.planes[i];
		int fd = a.planeFds[i].get();
		if (fd < 0)
			return broken(stringf("plane %zu has no descriptor", i));
		// Planes sharing a descriptor are asked about once.
		size_t same = 0;
		while (same < i && !(a.planeFds[same] == a.planeFds[i]))
			++same;
		if (same < i) {
			sizes[i] = sizes[same];
		} else if (!reported || verifyWithKernel()) {
			off_t size = ::lseek(fd, 0, SEEK_END); // fresh from the backend: position is ours
			if (size < 0 || (reported && uint64_t(size) != sizes[i]))
				return broken(stringf("plane %zu: descriptor of %lld bytes, reported %llu", i,
						      (long long)size, (unsigned long long)sizes[i]));
			sizes[i] = uint64_t(size);
		}
		if (same == i && verifyWithKernel()) {
			struct statfs fs;
			bool dmaBuf = ::fstatfs(fd, &fs) == 0 && fs.f_type == DMA_BUF_MAGIC;
			if (dmaBuf != info_.deviceImportable)
				return broken(dmaBuf ? "it returned a dma-buf while declared CPU-only"
						     : "it returned something that is not a dma-buf");
		}
		uint64_t end;
		if (sizes[i] == 0 || __builtin_add_overflow(p.offset, p.size, &end) || end > sizes[i])
			return broken(stringf("plane %zu (offset %llu, %llu bytes) lies outside its %llu-byte descriptor",
					      i, (unsigned long long)p.offset, (unsigned long long)p.size,
					      (unsigned long long)sizes[i]));
	}
	result->planeFdSizes = std::move(sizes);
	return result;
}

} // namespace hbm
