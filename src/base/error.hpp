// SPDX-License-Identifier: MIT
#pragma once

#include <hbm/refusal.hpp>
#include <hbm/result.hpp>

#include "seam/error.hpp"

namespace hbm {

using hbm_seam::makeError;
using hbm_seam::withContext;
using hbm_seam::refusalError;

} // namespace hbm
