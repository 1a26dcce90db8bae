// SPDX-License-Identifier: MIT
// libFuzzer target: Buffer::import() of any size, format, modifier and 0 to 5 planes with
// any offsets and strides, over fds of every kind (input format: import_input.hpp).
//
// The host has no dma-bufs: this binary links tests/fakes/dma_buf_stand_in.cpp, the test
// seam that reports memfds made by makeDmaBufStandIn() as dma-bufs to import's fstat().
// Every other fd (a plain memfd, a pipe, /dev/null, -1, a closed number) is answered by the
// kernel and must be refused. Nothing here asks the kernel for a sync or a device import.
//
// Invariants, per input: no crash or undefined behaviour; a refusal has an errno and a
// printable sentence; an accepted import is exactly what was asked (format, modifier,
// size, planes, offsets, strides), only over stand-ins, and every plane lies inside its
// fd's real size with no overflow and, for linear layouts, a stride holding a row; its
// plane fds, memory count and exported planes agree; /proc/self/fd holds as many entries
// after the input as before; LeakSanitizer finds nothing at exit.
#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hbm/buffer.hpp>
#include <hbm/format.hpp>

#include "fakes/dma_buf_stand_in.hpp"
#include "fakes/process_resources.hpp"
#include "fuzz_check.hpp"
#include "import_input.hpp"

using namespace hbm;
using namespace hbm::fuzz;

namespace {

struct Fds {
	std::vector<UniqueFd> owned;
	std::vector<int> numbers;  ///< per plane, what import is given
	std::vector<bool> standIn; ///< per plane
};

UniqueFd make(ImportFd kind, uint64_t size, std::vector<UniqueFd> *keep)
{
	int pair[2];
	switch (kind) {
	case ImportFd::StandIn:
	case ImportFd::SameAsLast: return test::makeDmaBufStandIn(size);
	case ImportFd::Memfd: {
		UniqueFd fd(::memfd_create("fuzz-not-a-dma-buf", MFD_CLOEXEC));
		if (fd && ::ftruncate(fd.get(), off_t(size)) < 0)
			return UniqueFd();
		return fd;
	}
	case ImportFd::Pipe:
		if (::pipe2(pair, O_CLOEXEC) < 0)
			return UniqueFd();
		keep->emplace_back(pair[1]);
		return UniqueFd(pair[0]);
	case ImportFd::DevNull:
	default: return UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
	}
}

Fds makeFds(const ImportInput &in, std::vector<UniqueFd> *keep)
{
	Fds fds;
	for (size_t i = 0; i < in.planes.size(); ++i) {
		const uint8_t spec = in.planes[i].fd;
		const ImportFd kind = importFdKind(spec);
		if (kind == ImportFd::SameAsLast && i > 0) {
			fds.numbers.push_back(fds.numbers.back());
			fds.standIn.push_back(fds.standIn.back());
			continue;
		}
		if (kind == ImportFd::Negative || kind == ImportFd::NotOpen) {
			fds.numbers.push_back(kind == ImportFd::Negative ? -1 : 1 << 20);
			fds.standIn.push_back(false);
			continue;
		}
		UniqueFd fd = make(kind, importFdSize(spec), keep);
		if (!fd)
			fail("making an fd", std::strerror(errno));
		fds.numbers.push_back(fd.get());
		fds.standIn.push_back(kind == ImportFd::StandIn || kind == ImportFd::SameAsLast);
		fds.owned.push_back(std::move(fd));
	}
	return fds;
}

uint64_t fdSize(int fd)
{
	const off_t end = ::lseek(fd, 0, SEEK_END);
	if (end < 0)
		fail("lseek of an imported plane", std::strerror(errno));
	return uint64_t(end);
}

void checkAccepted(const Buffer &buffer, const ImportInput &in, const Fds &fds)
{
	const Layout &l = buffer.layout();
	if (l.width != in.width || l.height != in.height || l.format != in.format || l.modifier != in.modifier)
		fail("import", "the buffer is not the image asked for");
	if (l.planes.size() != in.planes.size() || buffer.planeCount() != in.planes.size())
		fail("import", "plane count differs from what was given");
	const FormatInfo *info = findFormat(in.format);
	if (!info)
		fail("import", "accepted an unknown format " + formatName(in.format));
	if (in.width == 0 || in.height == 0 || in.width > kMaxDimension || in.height > kMaxDimension)
		fail("import", "accepted a size outside 1 to 65536");
	const bool linearish = in.modifier == DRM_FORMAT_MOD_LINEAR || in.modifier == DRM_FORMAT_MOD_INVALID;
	if (linearish ? l.planes.size() != info->planeCount
		      : (l.planes.size() < info->planeCount || l.planes.size() > 4))
		fail("import", "accepted " + std::to_string(l.planes.size()) + " planes of " + info->name);
	for (size_t i = 0; i < l.planes.size(); ++i) {
		const std::string which = "plane " + std::to_string(i);
		if (!fds.standIn[i])
			fail("import", which + ": accepted an fd that is not a (stand-in) dma-buf");
		const PlaneLayout &p = l.planes[i];
		if (p.offset != in.planes[i].offset || p.stride != in.planes[i].stride)
			fail("import", which + ": offset or stride differs from what was given");
		const SharedFd &fd = buffer.planeFd(i);
		if (!fd)
			fail("import", which + ": no fd");
		const uint64_t size = fdSize(fd.get());
		if (size != fdSize(fds.numbers[i]))
			fail("import", which + ": its fd is not the one given");
		uint64_t end;
		if (__builtin_add_overflow(p.offset, p.size, &end) || end > size || p.offset >= size)
			fail("import", which + ": lies outside its fd (offset " + std::to_string(p.offset) + " + " +
					       std::to_string(p.size) + " bytes of " + std::to_string(size) + ")");
		if (end > l.size)
			fail("import", which + ": ends past the layout's size");
		if (i < info->planeCount) {
			const PlaneFormat &pf = info->planes[i];
			const uint64_t columns = (uint64_t(in.width) + pf.hsub - 1) / pf.hsub;
			const uint64_t row = (columns + pf.blockWidth - 1) / pf.blockWidth * pf.bytesPerBlock;
			const uint64_t rows = (uint64_t(in.height) + pf.vsub - 1) / pf.vsub;
			if (linearish && p.stride < row)
				fail("import", which + ": stride " + std::to_string(p.stride) + " holds no row of " +
						       std::to_string(row) + " bytes");
			if (p.size != uint64_t(p.stride) * rows)
				fail("import", which + ": size is not stride x rows");
		}
		// Planes given one fd share one descriptor of the buffer's.
		for (size_t j = 0; j < i; ++j)
			if (fds.numbers[j] == fds.numbers[i] && buffer.planeFd(j).get() != fd.get())
				fail("import", "planes " + std::to_string(j) + " and " + std::to_string(i) +
						       " came on one fd, and hold two");
	}
	if (buffer.memoryCount() == 0 || buffer.memoryCount() > l.planes.size())
		fail("import", "memory count " + std::to_string(buffer.memoryCount()));
	if (!buffer.deviceImportable())
		fail("import", "an imported dma-buf is not device-importable");
	auto exported = buffer.exportPlanes();
	if (!exported) {
		checkRefusal(exported.error());
		fail("export of an imported buffer", exported.error().message);
	}
	if (exported->size() != l.planes.size())
		fail("export", "a different plane count");
	for (size_t i = 0; i < exported->size(); ++i)
		if (!(*exported)[i].fd || (*exported)[i].offset != l.planes[i].offset ||
		    (*exported)[i].stride != l.planes[i].stride)
			fail("export", "plane " + std::to_string(i) + " differs from the layout");
}

void run(const ImportInput &in)
{
	std::vector<UniqueFd> keep;
	const Fds fds = makeFds(in, &keep);
	ImportDesc desc;
	desc.width = in.width;
	desc.height = in.height;
	desc.format = in.format;
	desc.modifier = in.modifier;
	for (size_t i = 0; i < in.planes.size(); ++i)
		desc.planes.push_back({fds.numbers[i], in.planes[i].offset, in.planes[i].stride});
	auto buffer = Buffer::import(desc);
	if (buffer)
		checkAccepted(**buffer, in, fds);
	else
		checkRefusal(buffer.error());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t before = test::openFdCount();
	run(decodeImportInput(data, size));
	if (size_t after = test::openFdCount(); after != before)
		fail("fds left open", std::to_string(after - before) + " more:" + test::openFdList());
	return 0;
}
