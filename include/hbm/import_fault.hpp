// SPDX-License-Identifier: MIT
#pragma once

// What Buffer::import() found wrong with a layout of fds, as data: the one check of an
// imported layout lives in src/import.cpp, and a caller that must answer in its own terms
// (libhbm-wayland turns each kind into a linux-dmabuf protocol error) reads the kind and
// the values from Error::importFault instead of parsing the sentence.

#include <cstdint>
#include <string>

#include <hbm/export.h>

namespace hbm {

enum class ImportFaultKind : uint32_t {
	UnknownFormat,   ///< the fourcc is not one hbm can lay out (@format)
	BadDimensions,   ///< width or height 0 or above kMaxDimension (@width, @height, @limit)
	WrongPlaneCount, ///< plane count unfit for the format and modifier (@value given, @limit needed)
	UnknownModifier, ///< a reserved or unknown vendor's modifier (@modifier)
	FdNotOpen,       ///< @plane's fd is negative or closed (@fd)
	NotDmaBuf,       ///< @plane's fd is open but not a dma-buf (@fd, @fdTarget)
	StrideBelowRow,  ///< @plane's stride (@value) holds less than one row (@limit bytes)
	PlaneOverflows,  ///< @plane's offset + size (@offset, @value) overflows 64 bits
	PlanePastEnd,    ///< @plane's offset + size (@offset, @value) run past its dma-buf's @limit bytes
	PlanesSplit,     ///< plane @plane is another buffer than plane 0, which the modifier forbids
	SystemCall,      ///< asking the kernel about @plane's fd failed (@call, Error::code)
};

/// One fault of an imported layout. Fields not named by the kind's comment are the
/// request's (format, modifier, size) or zero.
struct ImportFault {
	ImportFaultKind kind = ImportFaultKind::UnknownFormat;
	uint32_t format = 0;
	uint64_t modifier = 0;
	uint32_t width = 0;
	uint32_t height = 0;
	int plane = -1;        ///< the plane at fault, -1 for the whole request
	int fd = -1;           ///< that plane's fd as the caller gave it
	uint64_t offset = 0;   ///< that plane's offset
	uint64_t value = 0;    ///< what the request has (see the kind)
	uint64_t limit = 0;    ///< what it should be within (see the kind)
	std::string fdTarget;  ///< NotDmaBuf: what the fd is ("pipe:[123]", "/memfd:x (deleted)")
	std::string call;      ///< SystemCall: "fstatfs", "fstat", "lseek", "fcntl(F_DUPFD_CLOEXEC)"
	bool operator==(const ImportFault &) const = default;
};

/// "ImportFaultKind::PlanePastEnd" as "plane past end" (for logs and test names).
HBM_EXPORT const char *importFaultKindName(ImportFaultKind kind);

} // namespace hbm
