/* SPDX-License-Identifier: MIT */
#ifndef HBM_H
#define HBM_H

/*
 * hbm's C ABI, for C compositors, plugins and bindings. Functions return 0 (or a count,
 * a descriptor) on success and a negative errno on failure; hbm_last_error() then holds
 * a sentence naming what was wrong, for the calling thread.
 */

#include <stddef.h>
#include <stdint.h>

#include <hbm/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hbm_context;
struct hbm_buffer;
struct hbm_cpu_access;

enum hbm_cpu_access_mode {
	HBM_CPU_READ = 1,
	HBM_CPU_WRITE = 2,
	HBM_CPU_READ_WRITE = 3,
};

enum hbm_usage {
	HBM_USAGE_SCANOUT = 1u << 0,
	HBM_USAGE_RENDER = 1u << 1,
	HBM_USAGE_TEXTURE = 1u << 2,
	HBM_USAGE_CURSOR = 1u << 3,
	HBM_USAGE_CPU_READ = 1u << 4,
	HBM_USAGE_CPU_WRITE = 1u << 5,
};

struct hbm_plane_import {
	int fd;          /* the caller's: hbm takes its own duplicate */
	uint32_t stride;
	uint64_t offset;
};

/* The sentence describing this thread's last failure ("" if none). */
HBM_EXPORT const char *hbm_last_error(void);

HBM_EXPORT int hbm_context_create(struct hbm_context **out);
HBM_EXPORT void hbm_context_destroy(struct hbm_context *ctx);
HBM_EXPORT size_t hbm_context_allocator_count(const struct hbm_context *ctx);
/* Name of allocator @index ("dma-heap:system" …), NULL past the end. */
HBM_EXPORT const char *hbm_context_allocator_name(const struct hbm_context *ctx, size_t index);

/*
 * Allocates a @width x @height buffer of DRM fourcc @format. @allocator names one (NULL:
 * the first able to); @modifiers lists the acceptable ones in preference order
 * (@modifier_count 0: LINEAR only; include DRM_FORMAT_MOD_INVALID to allow implicit).
 */
HBM_EXPORT int hbm_buffer_allocate(struct hbm_context *ctx, uint32_t width, uint32_t height, uint32_t format,
				   const char *allocator, const uint64_t *modifiers, uint32_t modifier_count,
				   uint32_t usage, struct hbm_buffer **out);
HBM_EXPORT int hbm_buffer_import(uint32_t width, uint32_t height, uint32_t format, uint64_t modifier,
				 const struct hbm_plane_import *planes, uint32_t plane_count,
				 struct hbm_buffer **out);
HBM_EXPORT struct hbm_buffer *hbm_buffer_ref(struct hbm_buffer *buffer);
HBM_EXPORT void hbm_buffer_unref(struct hbm_buffer *buffer);

HBM_EXPORT uint32_t hbm_buffer_get_width(const struct hbm_buffer *buffer);
HBM_EXPORT uint32_t hbm_buffer_get_height(const struct hbm_buffer *buffer);
HBM_EXPORT uint32_t hbm_buffer_get_format(const struct hbm_buffer *buffer);
HBM_EXPORT uint64_t hbm_buffer_get_modifier(const struct hbm_buffer *buffer);
HBM_EXPORT uint32_t hbm_buffer_get_plane_count(const struct hbm_buffer *buffer);
HBM_EXPORT int hbm_buffer_get_plane(const struct hbm_buffer *buffer, uint32_t plane, uint32_t *stride,
				    uint64_t *offset);
/* Returns a new descriptor (the caller's to close) for @plane, or -errno. */
HBM_EXPORT int hbm_buffer_export_plane_fd(const struct hbm_buffer *buffer, uint32_t plane);
HBM_EXPORT int hbm_buffer_is_device_importable(const struct hbm_buffer *buffer);

HBM_EXPORT int hbm_buffer_begin_cpu_access(struct hbm_buffer *buffer, enum hbm_cpu_access_mode mode,
					   struct hbm_cpu_access **out);
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

#ifdef __cplusplus
}
#endif

#endif /* HBM_H */
