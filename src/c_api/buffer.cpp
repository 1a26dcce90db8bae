// SPDX-License-Identifier: MIT
// The C ABI's buffers: one handle per Buffer, allocation without negotiation, import,
// references and user data, planes, CPU access, fences and sharing.
#include <algorithm>
#include <cerrno>
#include <unordered_map>

#include <drm_fourcc.h>

#include <hbm/share.hpp>
#include <hbm/v4l2.hpp>

#include "c_api_private.hpp"
#include "base/error.hpp"

// hbm_buffer_create() passes usage bits straight through: the two enums must agree.
static_assert(uint32_t(HBM_USAGE_SCANOUT) == uint32_t(hbm::UsageScanout) && uint32_t(HBM_USAGE_RENDER) == uint32_t(hbm::UsageRender) &&
		      uint32_t(HBM_USAGE_TEXTURE) == uint32_t(hbm::UsageTexture) && uint32_t(HBM_USAGE_CURSOR) == uint32_t(hbm::UsageCursor) &&
		      uint32_t(HBM_USAGE_CPU_READ) == uint32_t(hbm::UsageCpuRead) && uint32_t(HBM_USAGE_CPU_WRITE) == uint32_t(hbm::UsageCpuWrite),
	      "hbm_usage and hbm::Usage differ");
static_assert(int(HBM_CPU_READ) == int(hbm::CpuAccessMode::Read) &&
		      int(HBM_CPU_WRITE) == int(hbm::CpuAccessMode::Write) &&
		      int(HBM_CPU_READ_WRITE) == int(hbm::CpuAccessMode::ReadWrite),
	      "hbm_cpu_access_mode and hbm::CpuAccessMode differ");

namespace hbm::capi {

namespace {

/// Every live handle, by the Buffer it shows: what makes a Buffer's handle one. An entry
/// lives while its handle has a reference, and a pool's while its pool does (idle, with
/// no reference, it keeps the pool's buffer's user data). Reference counts reach 0, and
/// idle handles come back, only under @mutex; a caller holding a reference may add one
/// without it.
struct HandleTable {
	std::mutex mutex;
	std::unordered_map<const Buffer *, hbm_buffer *> handles;
};

HandleTable &handles()
{
	static HandleTable *table = new HandleTable; // never destroyed: buffers may outlive static destructors
	return *table;
}

/// Calls the user data's destroy function and frees @view.
void destroyView(hbm_buffer *view)
{
	if (view->destroy)
		view->destroy(view, view->userData);
	delete view;
}

/// Takes @view out of its pool's list (the table's lock held).
void leavePool(hbm_buffer *view)
{
	if (!view->pool)
		return;
	auto &views = view->pool->views;
	views.erase(std::remove(views.begin(), views.end(), view), views.end());
}

} // namespace

hbm_buffer *wrap(std::shared_ptr<Buffer> buffer, const std::shared_ptr<PoolViews> &pool)
{
	if (!buffer)
		return nullptr;
	HandleTable &table = handles();
	hbm_buffer *stale = nullptr;
	hbm_buffer *view = nullptr;
	{
		std::lock_guard lock(table.mutex);
		auto it = table.handles.find(buffer.get());
		if (it != table.handles.end() && !it->second->buffer && it->second->pooled.lock() != buffer) {
			// An idle pool handle whose Buffer is gone: this Buffer only has its address.
			stale = it->second;
			leavePool(stale);
			table.handles.erase(it);
			it = table.handles.end();
		}
		if (it != table.handles.end()) {
			view = it->second;
			if (!view->buffer) // an idle pool buffer handed out again
				view->buffer = buffer;
			view->refs.fetch_add(1, std::memory_order_relaxed);
		} else {
			view = new hbm_buffer;
			view->key = buffer.get();
			view->buffer = buffer;
			table.handles.emplace(view->key, view);
		}
		if (pool && !view->pool) {
			view->pool = pool;
			view->pooled = buffer;
			pool->views.push_back(view);
		}
	}
	if (stale)
		destroyView(stale);
	return view;
}

void retirePool(const std::shared_ptr<PoolViews> &pool)
{
	HandleTable &table = handles();
	std::vector<hbm_buffer *> idle;
	{
		std::lock_guard lock(table.mutex);
		pool->alive = false;
		for (hbm_buffer *view : pool->views) {
			if (view->refs.load(std::memory_order_acquire) == 0) {
				idle.push_back(view);
				table.handles.erase(view->key);
			} // else leased or referenced: goes with its last reference
		}
		pool->views.clear();
	}
	// The C++ pool still holds the idle buffers: their destroy functions see them.
	for (hbm_buffer *view : idle) {
		view->buffer = view->pooled.lock();
		destroyView(view);
	}
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

/// 0, or the failure for a NULL buffer (-EINVAL) or a plane past its last (-ERANGE).
int checkPlane(const char *function, const hbm_buffer *buffer, uint32_t plane)
{
	if (!buffer || !buffer->buffer)
		return fail(EINVAL, "%s: buffer is NULL", function);
	if (plane >= buffer->buffer->planeCount())
		return fail(ERANGE, "%s: no plane %u (the buffer has %zu)", function, plane, buffer->buffer->planeCount());
	return 0;
}

hbm::CpuAccessMode modeOf(enum hbm_cpu_access_mode mode)
{
	return static_cast<hbm::CpuAccessMode>(mode);
}

} // namespace

extern "C" {

int hbm_buffer_create(struct hbm_context *ctx, const struct hbm_allocate_options *options, struct hbm_buffer **out)
{
	static const char *const function = "hbm_buffer_create";
	if (!ctx || !out)
		return fail(EINVAL, "%s: ctx and out must not be NULL", function);
	hbm_allocate_options o;
	if (int err = readStruct(function, options, &o))
		return err;
	if (o.modifier_count && !o.modifiers)
		return fail(EINVAL, "%s: modifier_count is %u but modifiers is NULL", function, o.modifier_count);
	hbm::AllocationOptions cpp;
	if (o.allocator)
		cpp.allocator = o.allocator;
	if (o.modifier_count)
		cpp.modifiers.assign(o.modifiers, o.modifiers + o.modifier_count);
	cpp.usage = o.usage;
	auto buffer = ctx->context->allocate({o.width, o.height, o.format}, cpp);
	if (!buffer)
		return fail(buffer.error());
	*out = wrap(std::move(*buffer));
	return 0;
}

int hbm_buffer_create_from_fds(const struct hbm_import_options *options, struct hbm_buffer **out)
{
	static const char *const function = "hbm_buffer_create_from_fds";
	if (!out)
		return fail(EINVAL, "%s: out is NULL", function);
	hbm_import_options o;
	if (int err = readStruct(function, options, &o))
		return err;
	// Before the array is read: @plane_count says how long the caller's array is.
	if (o.plane_count > 4)
		return fail(EINVAL, "%s: plane_count %u: a buffer has 1 to 4 planes", function, o.plane_count);
	hbm_plane_import planes[4];
	if (int err = readStructArray(function, hbmStructLayout(planes), o.planes, o.plane_count, planes))
		return err;
	hbm::ImportDesc desc{o.width, o.height, o.format, o.modifier, {}};
	for (uint32_t i = 0; i < o.plane_count; ++i)
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
	HandleTable &table = handles();
	{
		std::lock_guard lock(table.mutex);
		if (buffer->refs.fetch_sub(1, std::memory_order_acq_rel) != 1)
			return;
		if (buffer->pool && buffer->pool->alive) {
			// Idle: the pool's own reference is the only one left, so it may reuse it.
			buffer->buffer.reset();
			return;
		}
		leavePool(buffer);
		table.handles.erase(buffer->key);
	}
	destroyView(buffer);
}

void hbm_buffer_set_user_data(struct hbm_buffer *buffer, void *user_data, hbm_buffer_destroy_func destroy)
{
	if (!buffer)
		return;
	buffer->userData = user_data;
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
	if (int err = checkPlane("hbm_buffer_get_plane", buffer, plane))
		return err;
	const hbm::PlaneLayout &p = buffer->buffer->layout().planes[plane];
	if (stride)
		*stride = p.stride;
	if (offset)
		*offset = p.offset;
	return 0;
}

int hbm_buffer_export_plane_fd(const struct hbm_buffer *buffer, uint32_t plane)
{
	if (int err = checkPlane("hbm_buffer_export_plane_fd", buffer, plane))
		return err;
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
