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
#include <vector>

#include "seam/c_interop.hpp"
#include <hbm/context.hpp>
#include <hbm/description.hpp>
#include <hbm/hbm.h>
#include <hbm/kms.hpp>
#include <hbm/pool.hpp>
#include <hbm/v4l2.hpp>

namespace hbm::capi {

struct PoolViews;

} // namespace hbm::capi

struct hbm_context {
	std::shared_ptr<hbm::Context> context;
	std::vector<hbm::AllocatorInfo> allocators;
};

/// The one C handle of a Buffer (see wrap()): refcounted, with the caller's user data. A
/// pool's buffer keeps its handle from lease to lease (so user data stays with it) and
/// holds the Buffer only while referenced: the pool reuses a buffer nobody but itself holds.
struct hbm_buffer {
	std::shared_ptr<hbm::Buffer> buffer; ///< null for an idle pool buffer
	const hbm::Buffer *key = nullptr;    ///< the Buffer this handle is for, also while idle
	std::atomic<unsigned> refs{1};
	void *userData = nullptr;
	hbm_buffer_destroy_func destroy = nullptr;
	std::shared_ptr<hbm::capi::PoolViews> pool; ///< set for a pool's buffer
	std::weak_ptr<hbm::Buffer> pooled;          ///< a pool's buffer, also while idle
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
	std::shared_ptr<hbm::capi::PoolViews> views;
};

struct hbm_kms {
	std::shared_ptr<hbm::KmsDevice> device;
	std::map<uint32_t, hbm::Framebuffer> framebuffers;
};

// hbm.h's structs and their frozen first sizes, for hbm_seam::readStruct()/writeStruct().
HBM_C_STRUCT(hbm_context_options, HBM_CONTEXT_OPTIONS_SIZE_V1)
HBM_C_STRUCT(hbm_request, HBM_REQUEST_SIZE_V1)
HBM_C_STRUCT(hbm_rejection, HBM_REJECTION_SIZE_V1)
HBM_C_STRUCT(hbm_participant_info, HBM_PARTICIPANT_INFO_SIZE_V1)
HBM_C_STRUCT(hbm_constraints, HBM_CONSTRAINTS_SIZE_V1)
HBM_C_STRUCT(hbm_plan_info, HBM_PLAN_INFO_SIZE_V1)
HBM_C_STRUCT(hbm_allocate_options, HBM_ALLOCATE_OPTIONS_SIZE_V1)
HBM_C_STRUCT(hbm_import_options, HBM_IMPORT_OPTIONS_SIZE_V1)
HBM_C_STRUCT(hbm_plane_import, HBM_PLANE_IMPORT_SIZE_V1)
HBM_C_STRUCT(hbm_pool_options, HBM_POOL_OPTIONS_SIZE_V1)

namespace hbm::capi {

using hbm_seam::fail;
using hbm_seam::readStruct;
using hbm_seam::readRequest;
using hbm_seam::readParticipants;
using hbm_seam::readStructArray;
using hbm_seam::writeStruct;

/// Records @error as the thread's last failure (its refusal too) and returns -code.
inline int fail(const Error &error)
{
	return hbm_seam::recordError(error);
}

/// A pool's handles. Guarded by the handle table's lock (see wrap()); @alive until the
/// pool goes.
struct PoolViews {
	bool alive = true;
	std::vector<hbm_buffer *> views;
};

/// Queue @queue of the V4L2 device @fd (borrowed, duplicated) for @function: 0 with
/// @device and @which set, or fail()'s -errno (an unknown queue, a bad or non-V4L2 fd).
int v4l2QueueOf(const char *function, int fd, enum hbm_v4l2_queue queue, std::shared_ptr<V4l2Device> &device,
		V4l2Queue &which);

/// The one handle of @buffer with one more reference: the live one if there is one (an
/// idle pool buffer's revived), else a new one, which becomes @pool's when @pool is set.
hbm_buffer *wrap(std::shared_ptr<Buffer> buffer, const std::shared_ptr<PoolViews> &pool = nullptr);
/// hbm_pool_destroy()'s half: the pool's idle handles go now (their destroy functions
/// called), those still referenced with their last reference.
void retirePool(const std::shared_ptr<PoolViews> &pool);

/// KmsDevice::fromFd() for @function, with hbm.h's errno for a descriptor that is not a
/// DRM device: ENODEV (the kernel's answer to the ioctl is ENOTTY).
Result<std::shared_ptr<KmsDevice>> kmsDeviceOf(int fd, const char *function);


} // namespace hbm::capi
