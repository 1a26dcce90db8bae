// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <type_traits>

#include <hbm/layout.hpp>
#include <hbm/result.hpp>

namespace hbm {

/// The last linear layout a thread computed, with what it was computed for: layOutLinear()
/// is a pure function asked the same question over and over (every allocation of a
/// swapchain or a pool, every candidate of a negotiation). Only layouts are kept, never
/// refusals, and a fixed layout is not computed.
struct LastLayout {
	uint32_t fourcc = 0, width = 0, height = 0, stride = 0, offset = 0, size = 0;
	Layout layout;

	bool holds(uint32_t f, uint32_t w, uint32_t h, const LinearRules &rules) const
	{
		return !rules.fixed && fourcc == f && width == w && height == h && f && stride == rules.strideAlignment &&
		       offset == rules.offsetAlignment && size == rules.sizeAlignment;
	}
};
// Constant-initialized and trivially destructible: read without a guard or a registered
// destructor (PlaneArray's trivial tables keep Layout so).
static_assert(std::is_trivially_destructible_v<LastLayout> && std::is_trivially_copyable_v<Layout>);
extern constinit thread_local LastLayout lastLayout;

/// layOutLinear() when its thread's last layout does not answer: computes, and keeps what
/// it computed (out of line: a hit then needs no frame, nor a call).
Result<void> layOutAndKeep(uint32_t fourcc, uint32_t width, uint32_t height, const LinearRules &rules, Layout &out);

/// linearLayout(), written into @out (a buffer's own layout, on the allocation path)
/// instead of returned: no Layout travels through a Result. @out is unchanged on a refusal.
/// Inline: every allocation of a byte allocator asks it.
inline Result<void> layOutLinear(uint32_t fourcc, uint32_t width, uint32_t height, const LinearRules &rules, Layout &out)
{
	if (lastLayout.holds(fourcc, width, height, rules)) {
		out = lastLayout.layout;
		return {};
	}
	return layOutAndKeep(fourcc, width, height, rules, out);
}

} // namespace hbm
