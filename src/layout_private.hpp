// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

#include <hbm/layout.hpp>
#include <hbm/result.hpp>

namespace hbm {

/// linearLayout(), written into @out (a buffer's own layout, on the allocation path)
/// instead of returned: no Layout travels through a Result. @out is unchanged on a refusal.
Result<void> layOutLinear(uint32_t fourcc, uint32_t width, uint32_t height, const LinearRules &rules, Layout &out);

} // namespace hbm
