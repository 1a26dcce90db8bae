// SPDX-License-Identifier: MIT
#pragma once

#include <mutex>
#include <string>

#include <hbm/buffer.hpp>

#include "mapping.hpp"

namespace hbm {

struct Buffer::Private {
	Layout layout;
	SharedFd fd;
	std::string origin;

	std::mutex mutex;
	Mapping mapping;           ///< made at the first CPU access, kept until destruction
	unsigned accessDepth = 0;  ///< open CpuAccess objects
	unsigned accessFlags = 0;  ///< DMA_BUF_SYNC_READ/WRITE announced by the open start
};

} // namespace hbm
