/* SPDX-License-Identifier: MIT */
/* The scripted compositor (scripted_server.hpp) for the C test: sway-shaped feedback on
 * 226:200, a device neither host nor lab has (XRGB8888 and ARGB8888, INVALID and LINEAR),
 * plus a scanout tranche for 226:201 first. */
#ifndef HBM_TEST_C_RIG_H
#define HBM_TEST_C_RIG_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
struct wl_display;
struct wl_display *rig_connect(void);
/* Disconnects and stops the server. */
void rig_disconnect(void);
/* The compositor drops XRGB8888: new default feedback. */
void rig_drop_xrgb(void);
/* wl_buffers alive in the server. */
uint32_t rig_live_buffers(void);
/* Planes the server received for its @index-th buffer: modifier of plane 0. */
uint64_t rig_received_modifier(uint32_t index);
uint32_t rig_received_count(void);
/* A dma-buf stand-in of @size bytes (an fd the caller closes). */
int rig_stand_in(uint64_t size);
int rig_open_fds(void);
#ifdef __cplusplus
}
#endif
#endif
