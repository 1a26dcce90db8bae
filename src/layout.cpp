// SPDX-License-Identifier: MIT
#include <hbm/layout.hpp>

#include <cerrno>
#include <limits>

#include <drm_fourcc.h>

#include <hbm/format.hpp>

#include "constraint_check.hpp"
#include "layout_private.hpp"
#include "base/error.hpp"

namespace hbm {

namespace {

bool alignUp(uint64_t value, uint64_t alignment, uint64_t *out)
{
	uint64_t mask = alignment - 1;
	if (value > std::numeric_limits<uint64_t>::max() - mask)
		return false;
	*out = (value + mask) & ~mask;
	return true;
}

uint32_t divRoundUp(uint32_t value, uint32_t divisor)
{
	return value / divisor + (value % divisor != 0);
}

} // namespace

namespace {

/// Out of line: the cached answer's path (layOutLinear()) stays a few instructions.
[[gnu::noinline]] Result<Layout> computeLinearLayout(uint32_t fourcc, uint32_t width, uint32_t height, const LinearRules &rules)
{
	if (auto bad = validateRequest(width, height, {&fourcc, 1}, 0))
		return requestRefused(std::move(*bad));
	for (uint32_t a : {rules.strideAlignment, rules.offsetAlignment, rules.sizeAlignment})
		if (!validAlignment(a))
			return makeError(EINVAL, "alignment %u is not a power of two from 1 to %u", a, kMaxAlignment);
	const FormatInfo *info = findFormat(fourcc);

	if (rules.fixed && rules.fixed->format == fourcc && rules.fixed->width == width && rules.fixed->height == height)
		return *rules.fixed;

	const PlaneFormat &base = info->planes[0];
	uint64_t rowBytes = uint64_t(divRoundUp(width, base.blockWidth)) * base.bytesPerBlock;

	// Plane i's stride is plane 0's scaled by bytes-per-sample and subsampling, as V4L2's
	// multi-planar formats and KMS drivers derive it. Plane 0's stride is grown until
	// every such ratio is whole and every plane's row fits.
	uint64_t stride0 = 0;
	if (!alignUp(rowBytes, rules.strideAlignment, &stride0))
		return makeError(EOVERFLOW, "%ux%u %s: stride overflows", width, height, info->name);

	Layout layout{fourcc, DRM_FORMAT_MOD_LINEAR, width, height, {}, 0};
	layout.planes.reserve(info->planeCount);
	for (;;) {
		bool fits = true;
		layout.planes.clear();
		for (unsigned i = 0; i < info->planeCount && fits; ++i) {
			const PlaneFormat &pf = info->planes[i];
			uint64_t num = stride0 * pf.bytesPerBlock * base.blockWidth;
			uint64_t den = uint64_t(base.bytesPerBlock) * pf.hsub * pf.blockWidth;
			uint64_t need = uint64_t(divRoundUp(divRoundUp(width, pf.hsub), pf.blockWidth)) *
					pf.bytesPerBlock;
			if (num % den != 0 || num / den < need) {
				fits = false;
				break;
			}
			layout.planes.push_back({0, 0, 0});
			layout.planes.back().size = num / den; // the stride, for now
		}
		if (fits)
			break;
		if (!alignUp(stride0 + 1, rules.strideAlignment, &stride0))
			return makeError(EOVERFLOW, "%ux%u %s: stride overflows", width, height, info->name);
	}

	uint64_t offset = 0;
	for (unsigned i = 0; i < info->planeCount; ++i) {
		PlaneLayout &plane = layout.planes[i];
		uint64_t stride = plane.size;
		if (stride > std::numeric_limits<uint32_t>::max())
			return makeError(EOVERFLOW, "%ux%u %s: plane %u stride %llu exceeds 32 bits",
					 width, height, info->name, i, (unsigned long long)stride);
		uint64_t rows = divRoundUp(height, info->planes[i].vsub);
		if (!alignUp(offset, rules.offsetAlignment, &offset))
			return makeError(EOVERFLOW, "%ux%u %s: plane %u offset overflows", width,
					 height, info->name, i);
		plane.offset = offset;
		plane.stride = static_cast<uint32_t>(stride);
		if (__builtin_mul_overflow(stride, rows, &plane.size) ||
		    __builtin_add_overflow(offset, plane.size, &offset))
			return makeError(EOVERFLOW, "%ux%u %s: plane %u size overflows", width,
					 height, info->name, i);
	}
	if (!alignUp(offset, rules.sizeAlignment, &layout.size))
		return makeError(EOVERFLOW, "%ux%u %s: size overflows", width, height, info->name);
	return layout;
}

} // namespace

constinit thread_local LastLayout lastLayout;

[[gnu::noinline]] Result<void> layOutAndKeep(uint32_t fourcc, uint32_t width, uint32_t height, const LinearRules &rules,
					     Layout &out)
{
	auto made = computeLinearLayout(fourcc, width, height, rules);
	if (!made)
		return made.error();
	out = *made;
	if (!rules.fixed)
		lastLayout = {fourcc, width, height, rules.strideAlignment, rules.offsetAlignment, rules.sizeAlignment, *made};
	return {};
}

Result<Layout> linearLayout(uint32_t fourcc, uint32_t width, uint32_t height, const LinearRules &rules)
{
	Result<Layout> out{Layout{}};
	if (Result<void> laid = layOutLinear(fourcc, width, height, rules, *out); !laid)
		out = laid.error();
	return out;
}

} // namespace hbm
