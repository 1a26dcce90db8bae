// SPDX-License-Identifier: MIT
// The C ABI's buffers: allocation without negotiation, import, references and user data,
// planes, CPU access, fences and sharing.
#include <cerrno>

#include <drm_fourcc.h>

#include <hbm/share.hpp>
#include <hbm/v4l2.hpp>

#include "c_api_private.hpp"
#include "error.hpp"

// hbm_buffer_allocate() passes usage bits straight through: the two enums must agree.
static_assert(uint32_t(HBM_USAGE_SCANOUT) == uint32_t(hbm::UsageScanout) && uint32_t(HBM_USAGE_RENDER) == uint32_t(hbm::UsageRender) &&
		      uint32_t(HBM_USAGE_TEXTURE) == uint32_t(hbm::UsageTexture) && uint32_t(HBM_USAGE_CURSOR) == uint32_t(hbm::UsageCursor) &&
		      uint32_t(HBM_USAGE_CPU_READ) == uint32_t(hbm::UsageCpuRead) && uint32_t(HBM_USAGE_CPU_WRITE) == uint32_t(hbm::UsageCpuWrite),
	      "hbm_usage and hbm::Usage differ");
static_assert(int(HBM_CPU_READ) == int(hbm::CpuAccessMode::Read) &&
		      int(HBM_CPU_WRITE) == int(hbm::CpuAccessMode::Write) &&
		      int(HBM_CPU_READ_WRITE) == int(hbm::CpuAccessMode::ReadWrite),
	      "hbm_cpu_access_mode and hbm::CpuAccessMode differ");

namespace hbm::capi {

hbm_buffer *wrap(std::shared_ptr<Buffer> buffer)
{
	auto *b = new hbm_buffer;
	b->buffer = std::move(buffer);
	return b;
}

void destroyView(hbm_buffer *view)
{
	if (view->destroy)
		view->destroy(view, view->userData);
	delete view;
}

} // namespace hbm::capi

using namespace hbm::capi;

namespace {

/// 0, or -EINVAL after recording why: only the enum's three values are access modes.
int checkMode(const char *function, enum hbm_cpu_access_mode mode)
{
	if (mode == HBM_CPU_READ || mode == HBM_CPU_WRITE || mode == HBM_CPU_READ_WRITE)
		return 0;
	return fail(EINVAL, "%s: access mode %d is none of HBM_CPU_READ (1), HBM_CPU_WRITE (2), HBM_CPU_READ_WRITE (3)",
		    function, int(mode));
}

hbm::CpuAccessMode modeOf(enum hbm_cpu_access_mode mode)
{
	return static_cast<hbm::CpuAccessMode>(mode);
}

} // namespace

extern "C" {

int hbm_buffer_allocate(struct hbm_context *ctx, uint32_t width, uint32_t height, uint32_t format,
			const char *allocator, const uint64_t *modifiers, uint32_t modifier_count, uint32_t usage,
			struct hbm_buffer **out)
{
	if (!ctx || !out)
		return fail(EINVAL, "hbm_buffer_allocate: ctx and out must not be NULL");
	if (modifier_count && !modifiers)
		return fail(EINVAL, "hbm_buffer_allocate: modifier_count is set but modifiers is NULL");
	hbm::AllocationOptions options;
	if (allocator)
		options.allocator = allocator;
	if (modifier_count)
		options.modifiers.assign(modifiers, modifiers + modifier_count);
	options.usage = usage;
	auto buffer = ctx->context->allocate({width, height, format}, options);
	if (!buffer)
		return fail(buffer.error());
	*out = wrap(std::move(*buffer));
	return 0;
}

int hbm_buffer_import(uint32_t width, uint32_t height, uint32_t format, uint64_t modifier,
		      const struct hbm_plane_import *planes, uint32_t plane_count, struct hbm_buffer **out)
{
	if (!out || (plane_count && !planes))
		return fail(EINVAL, "hbm_buffer_import: out and planes must not be NULL");
	// Before the array is read: @plane_count says how long the caller's array is.
	if (plane_count > 4)
		return fail(EINVAL, "hbm_buffer_import: plane_count %u: a buffer has 1 to 4 planes", plane_count);
	hbm::ImportDesc desc{width, height, format, modifier, {}};
	for (uint32_t i = 0; i < plane_count; ++i)
		desc.planes.push_back({planes[i].fd, planes[i].offset, planes[i].stride});
	auto buffer = hbm::Buffer::import(desc);
	if (!buffer)
		return fail(buffer.error());
	*out = wrap(std::move(*buffer));
	return 0;
}

struct hbm_buffer *hbm_buffer_ref(struct hbm_buffer *buffer)
{
	if (buffer)
		buffer->refs.fetch_add(1, std::memory_order_relaxed);
	return buffer;
}

void hbm_buffer_unref(struct hbm_buffer *buffer)
{
	if (!buffer)
		return;
	if (buffer->pool)
		unrefPooled(buffer);
	else if (buffer->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
		destroyView(buffer);
}

void hbm_buffer_set_user_data(struct hbm_buffer *buffer, void *data, hbm_buffer_destroy_func destroy)
{
	if (!buffer)
		return;
	buffer->userData = data;
	buffer->destroy = destroy;
}

void *hbm_buffer_get_user_data(const struct hbm_buffer *buffer)
{
	return buffer ? buffer->userData : nullptr;
}

uint32_t hbm_buffer_get_width(const struct hbm_buffer *buffer)
{
	return buffer ? buffer->buffer->width() : 0;
}

uint32_t hbm_buffer_get_height(const struct hbm_buffer *buffer)
{
	return buffer ? buffer->buffer->height() : 0;
}

uint32_t hbm_buffer_get_format(const struct hbm_buffer *buffer)
{
	return buffer ? buffer->buffer->format() : 0;
}

uint64_t hbm_buffer_get_modifier(const struct hbm_buffer *buffer)
{
	return buffer ? buffer->buffer->modifier() : DRM_FORMAT_MOD_INVALID;
}

uint32_t hbm_buffer_get_plane_count(const struct hbm_buffer *buffer)
{
	return buffer ? uint32_t(buffer->buffer->planeCount()) : 0;
}

int hbm_buffer_get_plane(const struct hbm_buffer *buffer, uint32_t plane, uint32_t *stride, uint64_t *offset)
{
	if (!buffer || plane >= buffer->buffer->planeCount())
		return fail(EINVAL, "hbm_buffer_get_plane: no such plane");
	const hbm::PlaneLayout &p = buffer->buffer->layout().planes[plane];
	if (stride)
		*stride = p.stride;
	if (offset)
		*offset = p.offset;
	return 0;
}

int hbm_buffer_export_plane_fd(const struct hbm_buffer *buffer, uint32_t plane)
{
	if (!buffer || plane >= buffer->buffer->planeCount())
		return fail(EINVAL, "hbm_buffer_export_plane_fd: no such plane");
	hbm::UniqueFd fd = buffer->buffer->planeFd(plane).duplicate();
	if (!fd)
		return fail(errno, "hbm_buffer_export_plane_fd: cannot duplicate the plane's descriptor");
	return fd.release();
}

int hbm_buffer_is_device_importable(const struct hbm_buffer *buffer)
{
	return buffer && buffer->buffer->deviceImportable();
}

int hbm_buffer_check(const struct hbm_buffer *buffer, const struct hbm_participant *participant)
{
	if (!buffer || !buffer->buffer || !participant)
		return fail(EINVAL, "hbm_buffer_check: buffer and participant must not be NULL");
	auto checked = buffer->buffer->check(participant->participant);
	return checked ? 0 : fail(checked.error());
}

int hbm_v4l2_set_format(int v4l2_fd, enum hbm_v4l2_queue queue, const struct hbm_buffer *buffer)
{
	static const char *const function = "hbm_v4l2_set_format";
	if (!buffer || !buffer->buffer)
		return fail(EINVAL, "%s: buffer must not be NULL", function);
	std::shared_ptr<hbm::V4l2Device> device;
	hbm::V4l2Queue which;
	if (int err = v4l2QueueOf(function, v4l2_fd, queue, device, which))
		return err;
	auto set = device->setFormat(which, buffer->buffer->layout());
	return set ? 0 : fail(hbm::withContext(set.error(), function));
}

int hbm_buffer_begin_cpu_access(struct hbm_buffer *buffer, enum hbm_cpu_access_mode mode,
				struct hbm_cpu_access **out)
{
	if (!buffer || !out)
		return fail(EINVAL, "hbm_buffer_begin_cpu_access: buffer and out must not be NULL");
	if (int err = checkMode("hbm_buffer_begin_cpu_access", mode))
		return err;
	auto access = buffer->buffer->beginCpuAccess(modeOf(mode));
	if (!access)
		return fail(access.error());
	*out = new hbm_cpu_access{std::move(*access)};
	return 0;
}

void *hbm_cpu_access_plane_data(const struct hbm_cpu_access *access, uint32_t plane, size_t *size)
{
	if (!access) {
		if (size)
			*size = 0;
		return nullptr;
	}
	auto span = access->access.plane(plane);
	if (size)
		*size = span.size();
	return span.empty() ? nullptr : span.data();
}

int hbm_cpu_access_end(struct hbm_cpu_access *access)
{
	if (!access)
		return 0;
	auto ended = access->access.end();
	delete access;
	return ended ? 0 : fail(ended.error());
}

int hbm_buffer_export_sync_file(const struct hbm_buffer *buffer, enum hbm_cpu_access_mode mode)
{
	if (!buffer)
		return fail(EINVAL, "hbm_buffer_export_sync_file: buffer is NULL");
	if (int err = checkMode("hbm_buffer_export_sync_file", mode))
		return err;
	auto fd = buffer->buffer->exportSyncFile(modeOf(mode));
	return fd ? fd->release() : fail(fd.error());
}

int hbm_buffer_import_sync_file(struct hbm_buffer *buffer, int sync_file, enum hbm_cpu_access_mode mode)
{
	if (!buffer)
		return fail(EINVAL, "hbm_buffer_import_sync_file: buffer is NULL");
	if (int err = checkMode("hbm_buffer_import_sync_file", mode))
		return err;
	auto done = buffer->buffer->importSyncFile(sync_file, modeOf(mode));
	return done ? 0 : fail(done.error());
}

int hbm_buffer_wait_idle(const struct hbm_buffer *buffer, enum hbm_cpu_access_mode mode, int timeout_ms)
{
	if (!buffer)
		return fail(EINVAL, "hbm_buffer_wait_idle: buffer is NULL");
	if (int err = checkMode("hbm_buffer_wait_idle", mode))
		return err;
	auto idle = buffer->buffer->waitIdle(modeOf(mode), timeout_ms);
	return idle ? (*idle ? 1 : 0) : fail(idle.error());
}

int hbm_buffer_send(int socket, const struct hbm_buffer *buffer)
{
	if (!buffer)
		return fail(EINVAL, "hbm_buffer_send: buffer is NULL");
	auto sent = hbm::sendBuffer(socket, *buffer->buffer);
	return sent ? 0 : fail(sent.error());
}

int hbm_buffer_receive(int socket, struct hbm_buffer **out)
{
	if (!out)
		return fail(EINVAL, "hbm_buffer_receive: out is NULL");
	auto buffer = hbm::receiveBuffer(socket);
	if (!buffer)
		return fail(buffer.error());
	*out = wrap(std::move(*buffer));
	return 0;
}

} // extern "C"
