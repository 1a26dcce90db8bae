// SPDX-License-Identifier: MIT
// A byte allocator for tests at the seam: it gives what it is asked, and lies on request.
#pragma once

#include <cerrno>
#include <functional>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "backends/allocator.hpp"

namespace hbm::test {

/// A heap that gives what it is asked: a sparse memfd of that many bytes, then @lie
/// changes what it says about them, if a test wants it to.
class FakeHeap final : public ByteAllocator
{
public:
	/// @formats: what it declares (a byte allocator's own: every linear format).
	explicit FakeHeap(bool deviceImportable = false, FormatSet formats = linearFormats())
		: ByteAllocator(makeInfo(deviceImportable, std::move(formats)))
	{
	}
	std::vector<uint64_t> asked; ///< every size asked for, in bytes
	std::function<void(Bytes &)> lie;
	/// Declares when its memory would exist (a real heap: AtAllocation), for the budget.
	void commits(MemoryCommit commit) { info_.memoryCommit = commit; }

private:
	static AllocatorInfo makeInfo(bool deviceImportable, FormatSet formats)
	{
		AllocatorInfo info;
		info.name = "dma-heap:fake";
		info.kind = AllocatorKind::Memfd;
		info.formats = std::move(formats);
		info.deviceImportable = deviceImportable;
		return info;
	}
	Result<void> doAllocateBytes(const ByteRequest &request, Bytes &out) override
	{
		asked.push_back(request.size);
		UniqueFd fd(::memfd_create("fake-heap", MFD_CLOEXEC));
		if (!fd || ::ftruncate(fd.get(), off_t(request.size)) < 0)
			return Error{errno, "memfd"};
		out = Bytes{SharedFd(std::move(fd)), 0, request.size, request.size, {}};
		if (lie)
			lie(out);
		return {};
	}
};

} // namespace hbm::test
