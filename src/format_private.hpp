// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>

#include <hbm/format.hpp>

namespace hbm {

/// findFormat()'s last answer: a program asks about one or two formats over and over, so
/// that one is checked first (the table never changes, so any thread's answer is right).
extern std::atomic<const FormatInfo *> lastFoundFormat;

/// findFormat() with its last answer checked inline, before any call: the request rule
/// (validateRequest()) asks it on every allocation.
inline const FormatInfo *findFormatInline(uint32_t fourcc)
{
	const FormatInfo *hit = lastFoundFormat.load(std::memory_order_relaxed);
	return hit->fourcc == fourcc ? hit : findFormat(fourcc);
}

} // namespace hbm
