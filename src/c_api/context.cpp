// SPDX-License-Identifier: MIT
// The C ABI's contexts: what they may open and read, and what their allocators can make.
#include <algorithm>
#include <cerrno>

#include <hbm/config.hpp>

#include "c_api_private.hpp"

using namespace hbm::capi;

namespace {

int create(const char *function, const hbm::ContextOptions &options, struct hbm_context **out)
{
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	auto ctx = hbm::Context::create(options);
	if (!ctx)
		return fail(ctx.error());
	*out = new hbm_context{*ctx, (*ctx)->allocators()};
	return 0;
}

const hbm::AllocatorInfo *allocatorAt(const char *function, const struct hbm_context *ctx, size_t index)
{
	if (!ctx) {
		fail(EINVAL, "%s: ctx is NULL", function);
		return nullptr;
	}
	if (index >= ctx->allocators.size()) {
		fail(ERANGE, "%s: no allocator %zu (the context has %zu)", function, index, ctx->allocators.size());
		return nullptr;
	}
	return &ctx->allocators[index];
}

/// What allocatorAt() recorded: -EINVAL for no context, -ERANGE for an index past the end.
int allocatorError(const struct hbm_context *ctx)
{
	return ctx ? -ERANGE : -EINVAL;
}

/// Copies what fits of @items into @out and returns how many there are.
template<typename T, typename Items>
int copyOut(const Items &items, T *out, size_t capacity)
{
	size_t n = 0;
	for (auto it = items.begin(); it != items.end() && out && n < capacity; ++it)
		out[n++] = *it;
	return int(std::min<size_t>(items.size(), INT32_MAX));
}

} // namespace

extern "C" {

int hbm_context_create(struct hbm_context **out)
{
	// The machine, probed: hbm::Context::create()'s options.
	hbm::ContextOptions options;
	options.probe = true;
	options.readConfiguration = true;
	return create("hbm_context_create", options, out);
}

int hbm_context_create_with_options(const struct hbm_context_options *options, struct hbm_context **out)
{
	static const char *const function = "hbm_context_create_with_options";
	hbm_context_options o;
	if (int err = readStruct(function, options, &o))
		return err;
	if ((o.drm_fd_count && !o.drm_fds) || (o.heap_count && !o.heaps))
		return fail(EINVAL, "%s: a count is set but its array is NULL", function);
	if (o.flags & ~uint32_t(HBM_CONTEXT_PROBE | HBM_CONTEXT_UDMABUF | HBM_CONTEXT_READ_CONFIG))
		return fail(EINVAL, "%s: unknown flags 0x%x", function, o.flags);

	// Zeroed options and hbm::ContextOptions{} both open and read nothing.
	hbm::ContextOptions cpp;
	cpp.probe = o.flags & HBM_CONTEXT_PROBE;
	cpp.udmabuf = o.flags & HBM_CONTEXT_UDMABUF;
	cpp.readConfiguration = o.flags & HBM_CONTEXT_READ_CONFIG;
	cpp.drmFds.assign(o.drm_fds, o.drm_fds + o.drm_fd_count);
	for (uint32_t i = 0; i < o.heap_count; ++i) {
		if (!o.heaps[i])
			return fail(EINVAL, "%s: heap name %u is NULL", function, i);
		cpp.heaps.push_back(o.heaps[i]);
	}
	hbm::Config config;
	if (o.config_text) {
		auto parsed = hbm::parseConfig(o.config_text, "config_text");
		if (!parsed)
			return fail(parsed.error());
		config = std::move(*parsed);
		cpp.config = &config;
	}
	return create(function, cpp, out);
}

int hbm_context_create_for_drm_fd(int drm_fd, uint32_t flags, struct hbm_context **out)
{
	hbm_context_options options = {};
	options.size = sizeof(options);
	options.flags = flags;
	options.drm_fds = &drm_fd;
	options.drm_fd_count = 1;
	return hbm_context_create_with_options(&options, out);
}

void hbm_context_destroy(struct hbm_context *ctx)
{
	delete ctx;
}

size_t hbm_context_allocator_count(const struct hbm_context *ctx)
{
	return ctx ? ctx->allocators.size() : 0;
}

const char *hbm_context_allocator_name(const struct hbm_context *ctx, size_t index)
{
	return ctx && index < ctx->allocators.size() ? ctx->allocators[index].name.c_str() : nullptr;
}

int hbm_context_allocator_get_formats(const struct hbm_context *ctx, size_t allocator, uint32_t *formats,
				      size_t capacity)
{
	const hbm::AllocatorInfo *a = allocatorAt("hbm_context_allocator_get_formats", ctx, allocator);
	return a ? copyOut(a->formats.formats(), formats, capacity) : allocatorError(ctx);
}

int hbm_context_allocator_get_modifiers(const struct hbm_context *ctx, size_t allocator, uint32_t format,
					uint64_t *modifiers, size_t capacity)
{
	const hbm::AllocatorInfo *a = allocatorAt("hbm_context_allocator_get_modifiers", ctx, allocator);
	return a ? copyOut(a->formats.modifiers(format), modifiers, capacity) : allocatorError(ctx);
}

} // extern "C"
