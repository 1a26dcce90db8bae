// SPDX-License-Identifier: MIT
#pragma once

/// hbm — the hardware buffer manager. Include this for the whole C++ API.

#include <hbm/allocator.hpp>
#include <hbm/buffer.hpp>
#include <hbm/constraints.hpp>
#include <hbm/context.hpp>
#include <hbm/description.hpp>
#include <hbm/drm_device.hpp>
#include <hbm/format.hpp>
#include <hbm/format_set.hpp>
#include <hbm/heap.hpp>
#include <hbm/import_fault.hpp>
#include <hbm/kms.hpp>
#include <hbm/layout.hpp>
#include <hbm/log.hpp>
#include <hbm/negotiation.hpp>
#include <hbm/participant.hpp>
#include <hbm/pool.hpp>
#include <hbm/refusal.hpp>
#include <hbm/result.hpp>
#include <hbm/share.hpp>
#include <hbm/shared_fd.hpp>
#include <hbm/trace.hpp>
#include <hbm/unique_fd.hpp>
#include <hbm/v4l2.hpp>
