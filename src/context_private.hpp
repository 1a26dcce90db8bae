// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <vector>

#include <hbm/context.hpp>

#include <hbm/device_snapshot.hpp>

#include "backends/allocator.hpp"
#include "backends/gbm/gbm_capabilities.hpp"
#include "kms/import_probe.hpp"

namespace hbm {

struct ContextFactory {
	/// A context over exactly these allocators, in this order (tests: fakes at the seam).
	static std::shared_ptr<Context> create(std::vector<std::unique_ptr<Allocator>> allocators,
					       std::vector<std::string> notes = {});
};

/// A one-page buffer for the foreign-import probe from @context's first allocator of
/// foreign memory: a byte allocator of its own buffers (a dma-heap, udmabuf), not a DRM
/// device's and not a region. ENODEV naming what the context holds when it has none: a
/// context given only a compositor's DRM fd has nothing to probe with, and opens nothing.
Result<ForeignPage> foreignPageOf(const Context &context);

/// Storage for @plan from the allocator it is bound to, and the one check of what that
/// allocator laid out against the participants the plan was made for (EPROTO when it
/// broke the plan). Every path from a plan to storage comes here: Context::allocate(),
/// BufferDescription::allocate(), BufferPool, the C ABI and the Wayland client through them.
Result<std::shared_ptr<Buffer>> allocatePlan(const Plan &plan);

/// Each of a device's @planes as GBM's declaration reads it (formatsOf(): its IN_FORMATS,
/// or its formats LINEAR and implicit), for a live device's planes (readPlanes(), the
/// registry) and a snapshot's (modelledAllocators()) alike.
std::vector<gbm::PlaneFormats> gbmPlaneFormats(const std::vector<PlaneSnapshot> &planes);

/// This machine's allocators in preference order, and notes on devices left out.
std::vector<std::unique_ptr<Allocator>> probeAllocators(std::vector<std::string> *notes);

/// What @options name (probing when asked), in preference order.
Result<std::vector<std::unique_ptr<Allocator>>> openAllocators(const ContextOptions &options,
							       std::vector<std::string> *notes);


/// @participants with the configuration's device rules applied.
std::vector<Participant> applyRules(const Config &config, std::vector<Participant> participants);

} // namespace hbm
