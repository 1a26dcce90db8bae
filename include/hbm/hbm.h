/* SPDX-License-Identifier: MIT */
#ifndef HBM_H
#define HBM_H

/*
 * hbm's C ABI, for C compositors, plugins and bindings (gbm.h's shape: opaque handles,
 * create/destroy pairs, plain integers for formats and modifiers).
 *
 * THE CONVENTION. Written here once; every C header of hbm (hbm-wayland-client.h,
 * hbm-wayland-compositor.h, hbm-egl.h) keeps it, through the same code in libhbm.
 *
 * ERRORS. Functions returning int return 0 (or a count, or a descriptor) on success and a
 * negative errno on failure. A failing call records, for the calling thread:
 *   - a sentence naming what was wrong and, where known, the fix: hbm_last_error();
 *   - when the failure is a refusal (an attach, a negotiation, an allocation or a check
 *     some participant's constraint stopped), its reason code, hbm_last_reason(), and every
 *     candidate's rejection as data: hbm_last_rejection_count(), hbm_last_rejection().
 * Each failing call replaces all of it (a failure that is not a refusal leaves reason
 * HBM_REASON_NONE and no rejections). A successful call leaves it as it was, like errno:
 * read it right after the call that failed; cleanup calls in between do not erase it.
 * Strings and arrays handed out from it stay valid until the thread's next failing call.
 * Getters that return a value or a pointer (hbm_buffer_get_width(), hbm_lease_get_buffer()
 * …) record nothing: they return 0 or NULL for a NULL or stale handle, or an index past
 * the end.
 *
 * REFUSALS have one errno each, whichever function reports them:
 *   - -ENOTSUP: no plan exists for the request and these participants (no format, modifier
 *     or allocator suits them all, a size past a participant's limit, no dma-buf memory on
 *     this machine, participants that contradict each other). The reason says which.
 *   - -EINVAL: a malformed request (HBM_REASON_INVALID_REQUEST: a size 0 or above 65536,
 *     no or an unknown format, usage bits hbm_usage lacks) or constraint
 *     (HBM_REASON_INVALID_CONSTRAINT, or one contradicting the participant's own).
 *   - -ENOMEM: an allocation ran out of memory (HBM_REASON_OUT_OF_MEMORY: value the bytes
 *     asked, limit what the allocator, the RAM or the CMA area can give) — never "no plan".
 *
 * EXTENSIBLE STRUCTS. Every struct passed in or out begins with `uint32_t size`, which the
 * caller sets to sizeof(struct hbm_...) as its own header declares it. Fields are only ever
 * appended, and each addition raises HBM_API_VERSION_MINOR; zero is the default of every
 * field. Each struct's first size is frozen: HBM_*_SIZE_V1 below. hbm reads (for an
 * out-struct: writes) only the bytes @size covers, so:
 *   - an older program's smaller struct (at least HBM_*_SIZE_V1) is accepted: the fields
 *     it lacks take their defaults (an out-struct is filled as far as its size goes);
 *   - a newer program's larger struct is accepted when every byte beyond what this
 *     library knows is zero (it asks for nothing this library lacks); a non-zero byte
 *     there is -E2BIG (hbm_get_version() says which library runs). An out-struct's bytes
 *     beyond what this library knows are zeroed;
 *   - a size below the first version is -EINVAL.
 * An array of structs (struct hbm_plane_import) is read array[0].size bytes apart.
 * Write `struct hbm_request request = {.size = sizeof(request), ...};`.
 *
 * OPTIONS. A NULL pointer to an options or request struct means a zeroed one: every field
 * its default. A call with a field that has no default (a request's width) refuses the
 * NULL as it would refuse the zero. The defaults are the safe ones: a zeroed
 * struct hbm_context_options opens and reads nothing, as C++'s hbm::ContextOptions{} does.
 *
 * OUT-POINTERS. A call whose result is what it writes (a handle's @out, an info struct,
 * a framebuffer id) refuses a NULL one: -EINVAL. A call that writes extra values beside its
 * result (hbm_buffer_get_plane()'s @stride and @offset, hbm_cpu_access_plane_data()'s
 * @size) takes NULL for each one the caller does not want, as gbm and EGL do. On failure
 * nothing is written through any out-pointer: *@out keeps what the caller put there.
 *
 * INDICES. An index past the end (a plane, an allocator, a rejection, a tranche) is
 * -ERANGE from a call that returns int, and NULL or 0 from a getter.
 *
 * DEVICES are device numbers (st_rdev) in a uint64_t, never dev_t, whose width differs
 * between C libraries.
 *
 * CALLBACKS are typedefs named hbm_*_func; the caller's pointer is their last argument,
 * `void *user_data`, given back as it was registered.
 *
 * NAMES. A function that makes a handle carries a verb: hbm_*_create*, or what it does
 * (hbm_pool_acquire(), hbm_buffer_receive()); each has its destroy (buffers: ref/unref).
 *
 * HANDLES. Destroy functions accept NULL. A handle holds what it needs: a description,
 * pool, participant or buffer may outlive the context it came from. Contexts, buffers and
 * pools may be used from several threads at once; any other handle by one thread at a
 * time. Passing a handle after destroying it is undefined, as with free() — except
 * leases, which are tokens (see hbm_lease_release()). A Buffer has one hbm_buffer: every
 * call that hands out the same buffer (a description, a pool's lease, libhbm-wayland's
 * compositor side) hands out the same handle while any reference to it lives, so user
 * data set on it stays with it.
 */

#include <stddef.h>
#include <stdint.h>

#include <hbm/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The C ABI's version: the major changes when an existing symbol or field changes meaning,
 * the minor when something is added. */
#define HBM_API_VERSION_MAJOR 1
#define HBM_API_VERSION_MINOR 0
#define HBM_API_VERSION_ENCODE(major, minor) ((((uint32_t)(major)) << 16) | (uint32_t)(minor))
#define HBM_API_VERSION HBM_API_VERSION_ENCODE(HBM_API_VERSION_MAJOR, HBM_API_VERSION_MINOR)

/* The bytes of @type up to and including its field @last: how each struct's frozen first
 * size (HBM_*_SIZE_V1) is stated, portably across ABIs. */
#define HBM_SIZE_THROUGH(type, last) (offsetof(type, last) + sizeof(((type *)0)->last))

/* HBM_API_VERSION of the library running (not of the header compiled against). */
HBM_EXPORT uint32_t hbm_get_version(void);

struct hbm_context;
struct hbm_buffer;
struct hbm_cpu_access;
struct hbm_participant;
struct hbm_description;
struct hbm_pool;
struct hbm_lease;
struct hbm_kms;

/* Exactly one of these: any other value (0, other bits) is refused with -EINVAL. */
enum hbm_cpu_access_mode {
	HBM_CPU_READ = 1,
	HBM_CPU_WRITE = 2,
	HBM_CPU_READ_WRITE = 3,
};

/* Bits of these: any other bit is refused with -EINVAL, as unknown flags are. */
enum hbm_usage {
	HBM_USAGE_SCANOUT = 1u << 0,
	HBM_USAGE_RENDER = 1u << 1,
	HBM_USAGE_TEXTURE = 1u << 2,
	HBM_USAGE_CURSOR = 1u << 3,
	HBM_USAGE_CPU_READ = 1u << 4,
	HBM_USAGE_CPU_WRITE = 1u << 5,
};

/* ---- Errors and refusals --------------------------------------------------------------- */

/* Why a candidate (a format, an allocator, an existing buffer) was refused. Stable values,
 * appended to only. The comment says what value and limit of struct hbm_rejection hold. */
enum hbm_reason {
	HBM_REASON_NONE = 0,
	HBM_REASON_INVALID_CONSTRAINT = 1,    /* malformed alignment (value; plane 0 stride, 1 offset) */
	HBM_REASON_INVALID_REQUEST = 2,       /* size 0 or too big, no or unknown format */
	HBM_REASON_FORMAT_NOT_TAKEN = 3,      /* set_by do not take the format */
	HBM_REASON_NO_COMMON_MODIFIER = 4,    /* everyone takes the format, no modifier in common */
	HBM_REASON_MODIFIER_NOT_MADE = 5,     /* the allocator makes none of the modifiers taken */
	HBM_REASON_CPU_ONLY = 6,              /* memory no device can import (memfd) */
	HBM_REASON_ALLOCATOR_NOT_ALLOWED = 7, /* outside the allocators set_by allow */
	HBM_REASON_NOT_DEVICE_LOCAL = 8,      /* set_by use only memory of device limit (dev_t) */
	HBM_REASON_NOT_AT_START = 9,          /* plane 0 at offset value, set_by need 0 */
	HBM_REASON_NOT_CONTIGUOUS = 10,       /* scattered pages (value 1) or unknown (0) */
	HBM_REASON_CACHING_MISMATCH = 11,     /* value/limit: 1 cached, 0 uncached */
	HBM_REASON_ADDRESS_LIMIT = 12,        /* memory may lie up to value, above limit */
	HBM_REASON_WIDTH_LIMIT = 13,          /* width value above set_by's maximum limit */
	HBM_REASON_HEIGHT_LIMIT = 14,
	HBM_REASON_STRIDE_LIMIT = 15,
	HBM_REASON_STRIDE_ALIGNMENT = 16,     /* stride value not a multiple of limit */
	HBM_REASON_OFFSET_ALIGNMENT = 17,
	HBM_REASON_SIZE_LIMIT = 18,           /* bytes value above the allocator's largest, limit */
	HBM_REASON_LAYOUT_IMPOSSIBLE = 19,    /* the layout's arithmetic overflows */
	HBM_REASON_CACHING_CONFLICT = 20,     /* set_by need both cached and uncached */
	HBM_REASON_ALLOCATORS_CONFLICT = 21,  /* set_by allow disjoint allocators */
	HBM_REASON_DEVICES_CONFLICT = 22,     /* set_by each need their own device's memory */
	HBM_REASON_STORAGE_EXISTS = 23,       /* the buffer has storage: cannot be relaxed */
	HBM_REASON_NOT_ATTACHED = 24,         /* set_by is not attached */
	HBM_REASON_NO_DMA_BUF_MEMORY = 25,    /* this machine offers no device-importable memory */
	HBM_REASON_OUT_OF_MEMORY = 26,        /* value bytes asked, limit free */
	/* set_by fixed the format's layout itself (a V4L2 driver's bytesperline, sizeimage): */
	HBM_REASON_FIXED_SIZE = 27,           /* another size: value/limit width << 32 | height */
	HBM_REASON_FIXED_STRIDE = 28,         /* plane's stride value, the fixed one limit */
	HBM_REASON_FIXED_OFFSET = 29,         /* plane's offset value, the fixed one limit */
	HBM_REASON_FIXED_TOO_SMALL = 30,      /* value bytes, fewer than the device writes (limit) */
	HBM_REASON_LAYOUTS_CONFLICT = 31,     /* set_by fix different layouts for one format */
	HBM_REASON_QUOTA_EXCEEDED = 32,       /* value held with the request, above set_by's quota limit
					       * (plane 0: buffers, 1: bytes) */
};

/* A short stable name: "format-not-taken"; "unknown" for a value this library lacks. */
HBM_EXPORT const char *hbm_reason_name(enum hbm_reason reason);

/* The sentence describing this thread's last failure ("" if none). */
HBM_EXPORT const char *hbm_last_error(void);
/* The reason of the thread's last failure, when it was a refusal: the first rejection that
 * is not about a format or allocator the caller could simply avoid. */
HBM_EXPORT enum hbm_reason hbm_last_reason(void);
HBM_EXPORT size_t hbm_last_rejection_count(void);

enum hbm_rejection_flags {
	HBM_REJECTION_HAS_MODIFIER = 1u << 0, /* modifier names the candidate's modifier */
};

/* One refused candidate. Strings and set_by stay valid until the thread's next failure. */
struct hbm_rejection {
	uint32_t size;
	uint32_t reason;              /* enum hbm_reason */
	const char *allocator;        /* the candidate allocator, "" when not about one */
	uint32_t format;              /* the candidate format, 0 when not about one */
	uint32_t flags;               /* enum hbm_rejection_flags */
	uint64_t modifier;
	uint64_t value;               /* what the candidate has (see enum hbm_reason) */
	uint64_t limit;               /* what the participants allow */
	uint32_t plane;               /* for per-plane reasons */
	uint32_t set_by_count;
	const char *const *set_by;    /* names of the participants that set the limit */
	const char *subject;          /* "dma-heap:system for XRGB8888 (XR24)", "" if none */
	const char *why;              /* "vkms cursor plane 41 (226:1) takes at most 64 pixels across …" */
};
#define HBM_REJECTION_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_rejection, why)

/* Rejection @index of the thread's last failure. Reading never changes the state it reads:
 * a bad @index (-ERANGE) or @out (-EINVAL) is returned without a sentence. */
HBM_EXPORT int hbm_last_rejection(size_t index, struct hbm_rejection *out);

/* ---- Logging --------------------------------------------------------------------------- */

enum hbm_log_level {
	HBM_LOG_DEBUG = 0,
	HBM_LOG_INFO = 1,
	HBM_LOG_WARN = 2,
	HBM_LOG_ERROR = 3,
};

/* @category is "kms", "dma-heap" …; @message has no trailing newline. Called from the thread
 * that logs; it must not call hbm_set_log_handler() or hbm_set_log_levels(). */
typedef void (*hbm_log_func)(enum hbm_log_level level, const char *category, const char *message,
			     void *user_data);

/* Routes hbm's log into the program's own (wlr_log_init's use). NULL restores stderr.
 * Process-wide. */
HBM_EXPORT void hbm_set_log_handler(hbm_log_func handler, void *user_data);
/* Which messages are produced, in HBM_LOG's syntax ("kms:debug,*:warn", or a bare level);
 * replaces what HBM_LOG said. Nothing is logged by default. Process-wide. */
HBM_EXPORT int hbm_set_log_levels(const char *spec);

/* ---- Contexts and allocators ----------------------------------------------------------- */

enum hbm_context_flags {
	/* Open every dma-heap, /dev/udmabuf and each /dev/dri/card* (tools, demos). Without
	 * it nothing is opened but what the options name. */
	HBM_CONTEXT_PROBE = 1u << 0,
	/* Open /dev/udmabuf (without HBM_CONTEXT_PROBE). */
	HBM_CONTEXT_UDMABUF = 1u << 1,
	/* Read the configuration files in force (HBM_CONFIG, /etc/hbm/hbm.toml, XDG, with
	 * HBM_CONFIG_OVERRIDE). Without it and without config_text: no configuration. */
	HBM_CONTEXT_READ_CONFIG = 1u << 2,
};

struct hbm_context_options {
	uint32_t size;
	uint32_t flags;                  /* enum hbm_context_flags */
	/* DRM devices the caller opened (from libseat …), for dumb and GBM buffers on them.
	 * Borrowed: hbm keeps duplicates, which share the caller's open file (and its GEM
	 * handles, as gbm_create_device() does), and never takes or drops DRM master. */
	const int *drm_fds;
	uint32_t drm_fd_count;
	/* dma-heaps to open by name ("system", "reserved" …) without HBM_CONTEXT_PROBE. */
	const char *const *heaps;
	uint32_t heap_count;
	/* The configuration as TOML text (hbm.toml's syntax), used instead of any file. */
	const char *config_text;
};
#define HBM_CONTEXT_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_context_options, config_text)

/*
 * Two ways in, one meaning each, the same in C and C++:
 *   - hbm_context_create() probes the machine and reads the configuration files (tools,
 *     demos): hbm_context_options with HBM_CONTEXT_PROBE | HBM_CONTEXT_READ_CONFIG, C++'s
 *     hbm::Context::create();
 *   - hbm_context_create_with_options() opens and reads only what @options say, and its
 *     defaults (NULL, or a zeroed struct) say nothing: a context of memfd alone, no
 *     configuration — what a compositor embeds, never probing behind its back. C++'s
 *     hbm::ContextOptions{} means the same.
 */
HBM_EXPORT int hbm_context_create(struct hbm_context **out);
/* Opens and reads only what @options (NULL: nothing) say. A descriptor that is not a DRM
 * device (-ENODEV), not open (-EBADF) or a heap that is not there (-ENOENT) is refused,
 * naming it. */
HBM_EXPORT int hbm_context_create_with_options(const struct hbm_context_options *options,
					       struct hbm_context **out);
/* gbm_create_device(fd)'s shape: allocators on @drm_fd (borrowed, as above) and memfd,
 * nothing else opened; @flags (enum hbm_context_flags) may add more, e.g. the
 * configuration. */
HBM_EXPORT int hbm_context_create_for_drm_fd(int drm_fd, uint32_t flags, struct hbm_context **out);
HBM_EXPORT void hbm_context_destroy(struct hbm_context *ctx);

/* Allocators in the order they are tried. */
HBM_EXPORT size_t hbm_context_allocator_count(const struct hbm_context *ctx);
/* Name of allocator @index ("dma-heap:system", "gbm:vkms" …), NULL past the end. */
HBM_EXPORT const char *hbm_context_allocator_name(const struct hbm_context *ctx, size_t index);
/* The formats allocator @allocator can make, to intersect with a renderer's own set (the
 * eglQueryDmaBufFormatsEXT idiom): writes up to @capacity of them to @formats (which may be
 * NULL with @capacity 0) and returns how many there are. -ERANGE past the last allocator. */
HBM_EXPORT int hbm_context_allocator_get_formats(const struct hbm_context *ctx, size_t allocator,
						 uint32_t *formats, size_t capacity);
/* The modifiers allocator @allocator can make @format with, the same way (0: none). */
HBM_EXPORT int hbm_context_allocator_get_modifiers(const struct hbm_context *ctx, size_t allocator,
						   uint32_t format, uint64_t *modifiers, size_t capacity);

/* ---- Participants: the devices that will touch a buffer -------------------------------- */

enum hbm_participant_kind {
	HBM_PARTICIPANT_DECLARED = 0,   /* from configuration or from the caller */
	HBM_PARTICIPANT_KMS_PLANE = 1,
	HBM_PARTICIPANT_V4L2_QUEUE = 2,
	HBM_PARTICIPANT_EGL_DISPLAY = 3,     /* a renderer: libhbm-egl */
	HBM_PARTICIPANT_WAYLAND_TRANCHE = 4, /* a compositor's feedback tranche: libhbm-wayland */
};

enum hbm_plane_type { /* DRM_PLANE_TYPE_* */
	HBM_PLANE_OVERLAY = 0,
	HBM_PLANE_PRIMARY = 1,
	HBM_PLANE_CURSOR = 2,
};

/* KMS plane @plane_id of the DRM device @drm_fd (borrowed: read, never kept): its formats
 * and modifiers (IN_FORMATS), size limits, and whether it needs contiguous memory. Listing
 * primary and cursor planes takes the universal-planes client capability, which hbm sets
 * on the open file behind @drm_fd (every compositor sets it too).
 * Whether the device scans out memory it did not allocate: with @probe_ctx NULL, hbm
 * probes nothing and takes it from its driver table (the participant's source says so);
 * with a context, hbm imports one page of that context's own dma-heap or udmabuf memory
 * on @drm_fd to find out, and opens nothing for it (a context with neither falls back to
 * the table, and the source says why it did not probe).
 * -ENOENT names the planes the device has; -ENODEV/-EBADF a descriptor that is not a DRM
 * device or not open. */
HBM_EXPORT int hbm_participant_create_for_kms_plane(int drm_fd, uint32_t plane_id, const struct hbm_context *probe_ctx,
						    struct hbm_participant **out);
/* The first plane of @type of @drm_fd that can be used on a CRTC in
 * @crtc_mask (bits of CRTC indices, as drmModePlane.possible_crtcs; 0: any CRTC); @probe_ctx
 * as above. */
HBM_EXPORT int hbm_participant_create_for_kms_plane_type(int drm_fd, enum hbm_plane_type type, uint32_t crtc_mask,
							 const struct hbm_context *probe_ctx,
							 struct hbm_participant **out);
/* The participant `[participant.NAME]` of @ctx's configuration. -ENOENT lists those declared. */
HBM_EXPORT int hbm_participant_create_declared(const struct hbm_context *ctx, const char *name,
					       struct hbm_participant **out);
/* A participant named @name taking exactly the pairs (@formats[i], @modifiers[i]), i < @count:
 * what a caller that knows its device's set (its renderer's EGL query, a protocol) hands hbm. */
HBM_EXPORT int hbm_participant_create_for_formats(const char *name, const uint32_t *formats,
						  const uint64_t *modifiers, uint32_t count,
						  struct hbm_participant **out);
HBM_EXPORT void hbm_participant_destroy(struct hbm_participant *participant);

/* "vkms primary plane 31 (226:1)", "panel (declared)"; valid while @participant lives. */
HBM_EXPORT const char *hbm_participant_get_name(const struct hbm_participant *participant);

/* Who a participant is. Strings are valid while the participant lives. */
struct hbm_participant_info {
	uint32_t size;
	uint32_t kind;           /* enum hbm_participant_kind */
	const char *name;        /* as hbm_participant_get_name() */
	const char *source;      /* how its constraints were learnt: "IN_FORMATS of /dev/dri/card1 …" */
	const char *driver;      /* kernel driver of a KMS or V4L2 device, "" when declared */
	uint64_t device;         /* st_rdev of its DRM or V4L2 node, 0 when declared */
	uint32_t plane_id;       /* KMS planes */
	uint32_t plane_type;     /* enum hbm_plane_type */
	uint32_t possible_crtcs; /* KMS planes: bits of CRTC indices */
	uint32_t v4l2_queue;     /* enum hbm_v4l2_queue */
	/* Wayland tranches (@device is the compositor's main device, 0 for v3 formats): */
	uint64_t target_device;  /* the tranche's target device */
	uint32_t tranche_index;  /* position in the feedback, most preferred first */
	uint32_t tranche_flags;  /* zwp_linux_dmabuf_feedback_v1 tranche flags (1: scanout) */
};
#define HBM_PARTICIPANT_INFO_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_participant_info, v4l2_queue)
HBM_EXPORT int hbm_participant_get_info(const struct hbm_participant *participant,
					struct hbm_participant_info *out);

enum hbm_constraint_flags {
	HBM_CONSTRAINT_CONTIGUOUS = 1u << 0,     /* physically contiguous memory (no IOMMU) */
	HBM_CONSTRAINT_PLANES_AT_START = 1u << 1, /* plane 0 at offset 0 of its dma-buf */
	HBM_CONSTRAINT_CACHED = 1u << 2,         /* CPU-cached memory required */
	HBM_CONSTRAINT_UNCACHED = 1u << 3,       /* CPU-cached memory forbidden */
};

/* The constraints a participant brings besides its formats. Zero in a field: no constraint. */
struct hbm_constraints {
	uint32_t size;
	uint32_t flags;              /* enum hbm_constraint_flags */
	uint32_t stride_alignment;   /* of every plane's stride: a power of two */
	uint32_t offset_alignment;   /* of every plane's offset: a power of two */
	uint32_t max_width;
	uint32_t max_height;
	uint32_t max_stride;
	uint64_t address_limit;      /* highest physical address it reaches, exclusive (1 << 32) */
	/* Only memory made by this DRM device (st_rdev): a renderer that samples only its own
	 * dumb or GBM buffers. */
	uint64_t local_to_device;
	const char *const *allowed_allocators; /* names; hbm_participant_get_constraints(): valid
						  until the participant changes or goes */
	uint32_t allowed_allocator_count;
};
#define HBM_CONSTRAINTS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_constraints, allowed_allocator_count)
HBM_EXPORT int hbm_participant_get_constraints(const struct hbm_participant *participant,
					       struct hbm_constraints *out);
/* Adds constraints a C caller knows and hbm cannot see (a panel without IOMMU, a 32-bit
 * DMA engine): flags are added, alignments and limits only tighten (the larger alignment,
 * the smaller limit), allowed allocators intersect. Refuses, changing nothing, an alignment
 * that is not a power of two, and a contradiction (cached and uncached, two devices).
 * NULL @constraints adds none. */
HBM_EXPORT int hbm_participant_add_constraints(struct hbm_participant *participant,
					       const struct hbm_constraints *constraints);

/* ---- Descriptions: a buffer described first and allocated last ------------------------- */

struct hbm_request {
	uint32_t size;
	uint32_t width;
	uint32_t height;
	uint32_t usage;           /* enum hbm_usage bits */
	const uint32_t *formats;  /* acceptable DRM fourccs, in preference order */
	uint32_t format_count;
	const char *kind;         /* class of memory ("scanout", "video" …), NULL: any allocator */
};
#define HBM_REQUEST_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_request, kind)

/* A buffer described but not allocated. Refuses only a bad request. */
HBM_EXPORT int hbm_description_create(struct hbm_context *ctx, const struct hbm_request *request,
				      struct hbm_description **out);
/* Destroying a description does not free a buffer hbm_description_allocate() returned. */
HBM_EXPORT void hbm_description_destroy(struct hbm_description *description);

/* Adds @participant (copied: it may be destroyed afterwards) and negotiates again. A
 * refusal (reason and rejections recorded) changes nothing. After allocation the
 * participant is checked against the storage instead. */
HBM_EXPORT int hbm_description_attach(struct hbm_description *description,
				      const struct hbm_participant *participant);
/* Removes the participant that is @participant (the same device or name), relaxing the
 * plan. -ENOENT (HBM_REASON_NOT_ATTACHED) for one never attached; -EBUSY
 * (HBM_REASON_STORAGE_EXISTS) once allocated. */
HBM_EXPORT int hbm_description_detach(struct hbm_description *description,
				      const struct hbm_participant *participant);

enum hbm_plan_flags {
	HBM_PLAN_CONTIGUOUS = 1u << 0,     /* the participants need contiguous memory */
	HBM_PLAN_CACHED = 1u << 1,         /* … cached memory */
	HBM_PLAN_UNCACHED = 1u << 2,       /* … uncached memory */
};

/* The plan as it stands: what every participant accepts and the allocator to make it.
 * allocator stays valid until the description's plan changes (attach, detach) or it goes. */
struct hbm_plan_info {
	uint32_t size;
	uint32_t width;
	uint32_t height;
	uint32_t format;
	uint64_t modifier;
	uint32_t usage;
	uint32_t flags;             /* enum hbm_plan_flags */
	uint32_t stride_alignment;  /* for linear layouts */
	uint32_t offset_alignment;
	uint32_t size_alignment;
	uint32_t trace_count;       /* lines for hbm_description_get_trace_line() */
	uint64_t address_limit;     /* 0: none */
	uint64_t local_to_device;   /* 0: any device's memory */
	const char *allocator;      /* "dma-heap:reserved" */
};
#define HBM_PLAN_INFO_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_plan_info, allocator)
HBM_EXPORT int hbm_description_get_plan(const struct hbm_description *description,
					struct hbm_plan_info *out);
/* Line @index of how the plan was chosen (NULL past the end); valid as plan_info.allocator. */
HBM_EXPORT const char *hbm_description_get_trace_line(const struct hbm_description *description,
						      size_t index);
/* Storage for the plan, made once: every call returns the same buffer, with a new
 * reference for the caller to unref. */
HBM_EXPORT int hbm_description_allocate(struct hbm_description *description, struct hbm_buffer **out);

/* ---- Buffers ---------------------------------------------------------------------------- */

/* What hbm_buffer_create() makes, without negotiation (a description negotiates). */
struct hbm_allocate_options {
	uint32_t size;
	uint32_t width;
	uint32_t height;
	uint32_t format;             /* DRM fourcc */
	uint32_t usage;              /* enum hbm_usage bits; 0: render and CPU write (as in C++) */
	uint32_t modifier_count;     /* 0: DRM_FORMAT_MOD_LINEAR only */
	/* Acceptable modifiers in preference order; include DRM_FORMAT_MOD_INVALID to allow
	 * an implicit (driver-chosen) layout. */
	const uint64_t *modifiers;
	const char *allocator;       /* one allocator's name; NULL: HBM_ALLOCATOR's, as it was
				      * when the context was made, else the first able to */
};
#define HBM_ALLOCATE_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_allocate_options, allocator)

/* One plane of an existing buffer (gbm_import_fd_modifier_data's shape). */
struct hbm_plane_import {
	uint32_t size;
	int32_t fd;                  /* the caller's: hbm takes its own duplicate */
	uint32_t stride;
	uint64_t offset;
};
#define HBM_PLANE_IMPORT_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_plane_import, offset)

/* An existing buffer, validated against its descriptors' real sizes before it is trusted. */
struct hbm_import_options {
	uint32_t size;
	uint32_t width;
	uint32_t height;
	uint32_t format;                        /* DRM fourcc */
	uint64_t modifier;                      /* 0: DRM_FORMAT_MOD_LINEAR */
	/* 1 to 4 planes, read planes[0].size bytes apart (each with that size). */
	const struct hbm_plane_import *planes;
	uint32_t plane_count;
};
#define HBM_IMPORT_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_import_options, plane_count)

/* Allocates a buffer as @options say, from the context's allocators. */
HBM_EXPORT int hbm_buffer_create(struct hbm_context *ctx, const struct hbm_allocate_options *options,
				 struct hbm_buffer **out);
/* A buffer of the caller's dma-bufs (hbm duplicates the descriptors). */
HBM_EXPORT int hbm_buffer_create_from_fds(const struct hbm_import_options *options, struct hbm_buffer **out);
HBM_EXPORT struct hbm_buffer *hbm_buffer_ref(struct hbm_buffer *buffer);
/* Drops a reference; the last one calls the user-data destroy function, then frees. */
HBM_EXPORT void hbm_buffer_unref(struct hbm_buffer *buffer);

/* @destroy (may be NULL) is called with @user_data when the buffer goes: at its last unref, or
 * for a pool's buffer when the pool and its last lease are gone — the data stays with the
 * buffer from one lease to the next (gbm_bo_set_user_data's use: a framebuffer id cached
 * per buffer). Setting again replaces both without calling the old @destroy. */
typedef void (*hbm_buffer_destroy_func)(struct hbm_buffer *buffer, void *user_data);
HBM_EXPORT void hbm_buffer_set_user_data(struct hbm_buffer *buffer, void *user_data, hbm_buffer_destroy_func destroy);
HBM_EXPORT void *hbm_buffer_get_user_data(const struct hbm_buffer *buffer);

HBM_EXPORT uint32_t hbm_buffer_get_width(const struct hbm_buffer *buffer);
HBM_EXPORT uint32_t hbm_buffer_get_height(const struct hbm_buffer *buffer);
HBM_EXPORT uint32_t hbm_buffer_get_format(const struct hbm_buffer *buffer);
HBM_EXPORT uint64_t hbm_buffer_get_modifier(const struct hbm_buffer *buffer);
HBM_EXPORT uint32_t hbm_buffer_get_plane_count(const struct hbm_buffer *buffer);
/* @plane's stride and offset in its descriptor; either pointer may be NULL (not wanted).
 * -ERANGE for a plane the buffer does not have. */
HBM_EXPORT int hbm_buffer_get_plane(const struct hbm_buffer *buffer, uint32_t plane, uint32_t *stride,
				    uint64_t *offset);
/* Returns a new descriptor (the caller's to close) for @plane, or -errno (-ERANGE: no
 * such plane). */
HBM_EXPORT int hbm_buffer_export_plane_fd(const struct hbm_buffer *buffer, uint32_t plane);
HBM_EXPORT int hbm_buffer_is_device_importable(const struct hbm_buffer *buffer);
/* 0 if @participant could use @buffer as it is (format, modifier, alignment, size,
 * placement: the rule negotiation uses), else -EINVAL with the refusal recorded
 * (hbm_last_reason(), hbm_last_rejection()). Records nothing on the buffer: what a
 * compositor asks of a client's buffer before its renderer touches it. */
HBM_EXPORT int hbm_buffer_check(const struct hbm_buffer *buffer, const struct hbm_participant *participant);

HBM_EXPORT int hbm_buffer_begin_cpu_access(struct hbm_buffer *buffer, enum hbm_cpu_access_mode mode,
					   struct hbm_cpu_access **out);
/* Plane @plane's bytes; NULL, with *@size 0, for a NULL access or a plane it does not have. */
HBM_EXPORT void *hbm_cpu_access_plane_data(const struct hbm_cpu_access *access, uint32_t plane, size_t *size);
/* Ends the access (DMA_BUF_IOCTL_SYNC end when it was the outermost) and frees it. */
HBM_EXPORT int hbm_cpu_access_end(struct hbm_cpu_access *access);

/* A sync_file descriptor, or -errno. */
HBM_EXPORT int hbm_buffer_export_sync_file(const struct hbm_buffer *buffer, enum hbm_cpu_access_mode mode);
HBM_EXPORT int hbm_buffer_import_sync_file(struct hbm_buffer *buffer, int sync_file, enum hbm_cpu_access_mode mode);
/* 1 idle, 0 timed out, or -errno. */
HBM_EXPORT int hbm_buffer_wait_idle(const struct hbm_buffer *buffer, enum hbm_cpu_access_mode mode, int timeout_ms);

HBM_EXPORT int hbm_buffer_send(int socket, const struct hbm_buffer *buffer);
HBM_EXPORT int hbm_buffer_receive(int socket, struct hbm_buffer **out);

/* ---- Pools and leases (a swapchain) ----------------------------------------------------- */

/* A pool of at most @max_buffers buffers for @description's request and participants as
 * they stand: negotiated now, and every buffer it makes is checked against them. */
HBM_EXPORT int hbm_pool_create(struct hbm_description *description, uint32_t max_buffers,
			       struct hbm_pool **out);
/* A request and the devices that will touch its buffers, for a pool made without a
 * description. */
struct hbm_pool_options {
	uint32_t size;
	uint32_t max_buffers;
	const struct hbm_request *request;
	/* The participants (copied); may be NULL with participant_count 0: any layout a
	 * device can import. */
	struct hbm_participant *const *participants;
	uint32_t participant_count;
};
#define HBM_POOL_OPTIONS_SIZE_V1 HBM_SIZE_THROUGH(struct hbm_pool_options, participant_count)
/* hbm_pool_create() for @options' request negotiated with its participants. NULL @options,
 * or no request, is refused like a zeroed request (-EINVAL). */
HBM_EXPORT int hbm_pool_create_with_options(struct hbm_context *ctx, const struct hbm_pool_options *options,
					    struct hbm_pool **out);
/* Allowed with leases out: each stays valid, with its buffer, until it is released. */
HBM_EXPORT void hbm_pool_destroy(struct hbm_pool *pool);

/* An idle buffer, or a new one while fewer than max_buffers exist. -EBUSY (with counts of
 * leased, still referenced and device-held buffers) when none is free. A buffer comes back
 * to the pool when its lease is released AND every reference the caller took on it is
 * dropped AND no device holds it (every fence on it has signalled). */
HBM_EXPORT int hbm_pool_acquire(struct hbm_pool *pool, struct hbm_lease **out);
/* The leased buffer, borrowed (hbm_buffer_ref() to keep it past the lease); NULL for a
 * lease already released. */
HBM_EXPORT struct hbm_buffer *hbm_lease_get_buffer(const struct hbm_lease *lease);
/* Gives the buffer back and ends the lease: the handle is gone after this call. A lease
 * handle is a token that hbm looks up, never dereferences, and never reuses: releasing
 * the same one again returns -EALREADY and touches nothing. */
HBM_EXPORT int hbm_lease_release(struct hbm_lease *lease);

/* ---- V4L2: buffers for video devices ----------------------------------------------------- */

enum hbm_v4l2_queue {
	HBM_V4L2_CAPTURE = 0,
	HBM_V4L2_OUTPUT = 1,
};

/* Queue @queue of the V4L2 device @v4l2_fd (borrowed) for @width x @height, as a
 * participant: the formats VIDIOC_ENUM_FMT lists that have DRM fourccs, and the layout the
 * driver fixes for each (its bytesperline and sizeimage). Refused if the queue cannot
 * import dma-bufs. */
HBM_EXPORT int hbm_participant_create_for_v4l2(int v4l2_fd, enum hbm_v4l2_queue queue, uint32_t width, uint32_t height,
					       struct hbm_participant **out);
/* Sets queue @queue of the V4L2 device @v4l2_fd (borrowed) to @buffer's format, size and
 * stride (VIDIOC_S_FMT) and checks the driver kept them and needs no more bytes than the
 * buffer has: then the buffer can be queued by V4L2_MEMORY_DMABUF. -EINVAL naming the
 * queue, what was asked and what the driver chose when it would change any. */
HBM_EXPORT int hbm_v4l2_set_format(int v4l2_fd, enum hbm_v4l2_queue queue, const struct hbm_buffer *buffer);

/* ---- KMS: scanning a buffer out ---------------------------------------------------------- */

/*
 * A KMS device on the caller's DRM descriptor @drm_fd (borrowed: hbm keeps a duplicate,
 * the same open file; it never takes or drops DRM master — the caller commits).
 *
 * GEM handles: adding a framebuffer imports each dma-buf of the buffer into that DRM file
 * (PRIME) and hbm owns the handles: one per dma-buf, counted per framebuffer, closed when
 * the last framebuffer using it is removed. GEM handles are per open file and not counted
 * by the kernel, so do not import hbm's buffers into the same file yourself (the kernel
 * would hand you hbm's handle, and one of you would close it under the other) — import them
 * on a file of your own (reopen the node, as wlroots does), or let hbm make the framebuffer.
 */
HBM_EXPORT int hbm_kms_create_for_drm_fd(int drm_fd, struct hbm_kms **out);
/* Removes every framebuffer still added through @kms (drmModeRmFB: take them off the
 * screen first) and releases its GEM handles. */
HBM_EXPORT void hbm_kms_destroy(struct hbm_kms *kms);
/* A framebuffer (ADDFB2 with modifiers, every plane) showing @buffer, for the caller's own
 * atomic commit. The framebuffer does not keep a reference to @buffer. */
HBM_EXPORT int hbm_kms_add_framebuffer(struct hbm_kms *kms, struct hbm_buffer *buffer, uint32_t *fb_id);
/* Removes a framebuffer added through @kms; -ENOENT for any other id. */
HBM_EXPORT int hbm_kms_remove_framebuffer(struct hbm_kms *kms, uint32_t fb_id);

#ifdef __cplusplus
}
#endif

#endif /* HBM_H */
