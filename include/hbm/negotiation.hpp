// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <hbm/allocator.hpp>
#include <hbm/constraints.hpp>
#include <hbm/export.h>
#include <hbm/layout.hpp>
#include <hbm/participant.hpp>
#include <hbm/refusal.hpp>
#include <hbm/result.hpp>

namespace hbm {

/// What the caller wants before devices have their say.
struct Request {
	uint32_t width = 0;
	uint32_t height = 0;
	std::vector<uint32_t> formats; ///< acceptable, in preference order
	uint32_t usage = 0;            ///< hbm::Usage bits
	/// A class of memory ("scanout", "video", "camera" …) whose configured allocators,
	/// in order, are the only ones tried; empty: any.
	std::string kind;
};

struct PlanState;

/// The negotiated result: one layout and placement every participant accepts, the
/// allocator to make it, and how it was chosen. Only a Context negotiates one (and so only
/// a context's allocators can be in it): a caller can read a plan and hand it back, not
/// forge or edit it. A plan carries what it was negotiated for — the participants, their
/// combined constraints and the allocator itself — so whatever turns it into storage
/// (Context::allocate(), a BufferPool, BufferDescription::allocate(), the Wayland client,
/// the C ABI) checks what the allocator really made against them. Copies are cheap and
/// share one immutable state.
class HBM_EXPORT Plan
{
public:
	/// An empty plan, which no allocator accepts.
	Plan() = default;

	uint32_t width() const { return width_; }
	uint32_t height() const { return height_; }
	uint32_t usage() const { return usage_; }
	uint32_t format() const { return format_; }
	uint64_t modifier() const { return modifier_; }
	/// Alignments every participant accepts, for linear layouts.
	const LinearRules &linear() const { return linear_; }
	/// The combined placement.
	const Placement &placement() const { return placement_; }
	/// The chosen allocator's name.
	const std::string &allocator() const { return allocator_; }
	/// One line per decision, for logs and `hbm plan`.
	const std::vector<std::string> &trace() const { return trace_; }

	/// The participants it was negotiated for, as they were given (the configuration's
	/// device rules apply on top of them).
	const std::vector<Participant> &participants() const;
	/// Their constraints combined, with the configuration's rules: what the allocation is
	/// checked against.
	const Constraints &constraints() const;
	/// The layout hbm computed, where it lays the image out itself (memory from a heap,
	/// udmabuf or a region; a layout a participant fixed); null where the allocator lays it
	/// out (GBM, dumb buffers): that layout is checked when it is made.
	const Layout *layout() const;
	/// No negotiation made it.
	bool empty() const { return state_ == nullptr; }

private:
	friend struct PlanBuilder;
	uint32_t width_ = 0;
	uint32_t height_ = 0;
	uint32_t usage_ = 0;
	uint32_t format_ = 0;
	uint64_t modifier_ = 0;
	LinearRules linear_;
	Placement placement_;
	std::string allocator_;
	std::vector<std::string> trace_;
	std::shared_ptr<const PlanState> state_;
};

} // namespace hbm
