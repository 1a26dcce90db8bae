// SPDX-License-Identifier: MIT
// A fake allocator at the seam: memfds declared device-importable, so that negotiation and
// sendBuffer() have something to work with on a host without dma-bufs. The kernel would
// catch the lie (HBM_VERIFY_ALLOCATIONS, import's fstatfs): users run without the check and
// never import what it makes.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "backends/allocator.hpp"

namespace hbm::test {

class ImportableMemfd final : public Allocator
{
public:
	ImportableMemfd() : Allocator(info()) {}

private:
	static AllocatorInfo info()
	{
		AllocatorInfo a;
		a.name = "fake-importable";
		a.kind = AllocatorKind::DmaHeap;
		a.formats = FormatSet({DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12}, {DRM_FORMAT_MOD_LINEAR});
		a.deviceImportable = true;
		return a;
	}
	Result<void> doAllocate(const AllocationRequest &request, Allocation &out) override
	{
		auto layout = linearLayout(request.format, request.width, request.height, *request.linear);
		if (!layout)
			return layout.error();
		UniqueFd fd(::memfd_create("fake", MFD_CLOEXEC));
		if (!fd || ::ftruncate(fd.get(), off_t(layout->size)) < 0)
			return Error{errno, "memfd"};
		out.layout = *layout;
		out.holdAllPlanesIn(SharedFd(std::move(fd)), layout->size);
		return {};
	}
};

} // namespace hbm::test
