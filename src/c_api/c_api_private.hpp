// SPDX-License-Identifier: MIT
// What the C ABI's files share: the handles behind hbm.h's opaque types, the thread's error
// state, and the size rule of extensible structs (see the top of hbm.h).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <hbm/context.hpp>
#include <hbm/description.hpp>
#include <hbm/hbm.h>
#include <hbm/kms.hpp>
#include <hbm/pool.hpp>
#include <hbm/v4l2.hpp>

namespace hbm::capi {

struct PoolBuffers;

} // namespace hbm::capi

struct hbm_context {
	std::shared_ptr<hbm::Context> context;
	std::vector<hbm::AllocatorInfo> allocators;
};

/// A C reference-counted view of a Buffer. A pool's buffer keeps one view from lease to
/// lease (so user data stays with it) and holds the Buffer only while referenced: the
/// pool reuses a buffer nobody but itself holds.
struct hbm_buffer {
	std::shared_ptr<hbm::Buffer> buffer; ///< null for an idle pool buffer
	std::atomic<unsigned> refs{1};
	void *userData = nullptr;
	hbm_buffer_destroy_func destroy = nullptr;
	std::shared_ptr<hbm::capi::PoolBuffers> pool; ///< set for a pool's buffer
	std::weak_ptr<hbm::Buffer> pooled;            ///< a pool's buffer, also while idle
};

struct hbm_cpu_access {
	hbm::CpuAccess access;
};

struct hbm_participant {
	hbm::Participant participant;
	std::string name;
	std::vector<const char *> allowed; ///< hbm_participant_get_constraints()'s view
};

struct hbm_description {
	std::shared_ptr<hbm::Context> context;
	std::shared_ptr<hbm::BufferDescription> description;
	hbm::Plan plan;               ///< as last read; what plan_info and trace lines point into
	hbm_buffer *buffer = nullptr; ///< the description's reference, once allocated
};

struct hbm_pool {
	std::shared_ptr<hbm::BufferPool> pool;
	std::shared_ptr<hbm::capi::PoolBuffers> buffers;
};

struct hbm_kms {
	std::shared_ptr<hbm::KmsDevice> device;
	std::map<uint32_t, hbm::Framebuffer> framebuffers;
};

namespace hbm::capi {

/// A pool's views, by the Buffer they show. Guarded by @mutex; @alive until the pool goes.
struct PoolBuffers {
	std::mutex mutex;
	bool alive = true;
	std::unordered_map<const Buffer *, hbm_buffer *> views;
};

/// Records @error as the thread's last failure (its refusal too) and returns -code.
int fail(const Error &error);
/// Records a failure that is not a refusal.
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/// Queue @queue of the V4L2 device @fd (borrowed, duplicated) for @function: 0 with
/// @device and @which set, or fail()'s -errno (an unknown queue, a bad or non-V4L2 fd).
int v4l2QueueOf(const char *function, int fd, enum hbm_v4l2_queue queue, std::shared_ptr<V4l2Device> &device,
		V4l2Queue &which);

/// A new view of @buffer with one reference.
hbm_buffer *wrap(std::shared_ptr<Buffer> buffer);
/// Calls the user data's destroy function and frees @view.
void destroyView(hbm_buffer *view);
/// hbm_buffer_unref() of a pool's buffer.
void unrefPooled(hbm_buffer *view);

/// KmsDevice::fromFd() for @function, with hbm.h's errno for a descriptor that is not a
/// DRM device: ENODEV (the kernel's answer to the ioctl is ENOTTY).
Result<std::shared_ptr<KmsDevice>> kmsDeviceOf(int fd, const char *function);

/// Reads @in into @out (fields past in->size zero). What it asks for (size, formats, usage
/// bits) is the core's to judge (validateRequest()): a malformed one is refused there.
int readRequest(const char *function, const hbm_request *in, hbm::Request *out);

/// The first version's size of each extensible struct: its fields up to @last. Frozen:
/// fields appended later do not change it.
template<typename T>
struct StructInfo;

#define HBM_C_STRUCT(type, last)                                                             \
	template<>                                                                           \
	struct StructInfo<type> {                                                            \
		static constexpr const char *name = "struct " #type;                        \
		static constexpr size_t firstSize = offsetof(type, last) + sizeof(type::last); \
	}

HBM_C_STRUCT(hbm_context_options, config_text);
HBM_C_STRUCT(hbm_request, kind);
HBM_C_STRUCT(hbm_rejection, why);
HBM_C_STRUCT(hbm_participant_info, v4l2_queue);
HBM_C_STRUCT(hbm_constraints, allowed_allocator_count);
HBM_C_STRUCT(hbm_plan_info, allocator);

#undef HBM_C_STRUCT

/// The size rule: 0 if @size is one hbm accepts for the struct, else the -errno to return,
/// with the sentence in @why.
int checkStructSize(const char *name, uint32_t size, size_t firstSize, size_t knownSize, std::string *why);

/// Copies the caller's @in into @out, zero past in->size; refuses a size outside the rule.
template<typename T>
int readStruct(const char *function, const T *in, T *out)
{
	if (!in)
		return fail(EINVAL, "%s: %s is NULL", function, StructInfo<T>::name);
	std::string why;
	if (int err = checkStructSize(StructInfo<T>::name, in->size, StructInfo<T>::firstSize, sizeof(T), &why))
		return fail(-err, "%s: %s", function, why.c_str());
	std::memset(static_cast<void *>(out), 0, sizeof(T));
	std::memcpy(static_cast<void *>(out), in, in->size);
	return 0;
}

/// Writes @full into the caller's @out, as much as out->size covers (the rule above).
/// With @record false a refusal is returned without touching the error state.
template<typename T>
int writeStruct(const char *function, T *out, const T &full, bool record = true)
{
	std::string why;
	int err = !out ? -EINVAL
		       : checkStructSize(StructInfo<T>::name, out->size, StructInfo<T>::firstSize, sizeof(T), &why);
	if (err) {
		if (!out)
			why = std::string(StructInfo<T>::name) + " is NULL";
		return record ? fail(-err, "%s: %s", function, why.c_str()) : err;
	}
	const uint32_t size = out->size;
	std::memcpy(static_cast<void *>(out), &full, size);
	out->size = size;
	return 0;
}

} // namespace hbm::capi
