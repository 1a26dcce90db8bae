/* SPDX-License-Identifier: MIT */
/* The compositor of the C allocator test (allocator_harness.hpp): hbm_allocator_v1 on a
 * wl_display served by a thread of the test process, allocating from the system heap when
 * @with_memory and from a context of memfd alone (so every answer is a refusal) otherwise. */
#ifndef HBM_TEST_ALLOCATOR_RIG_H
#define HBM_TEST_ALLOCATOR_RIG_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
struct wl_display;
/* A client connection to a new compositor; NULL (reason on stderr) on failure. */
struct wl_display *allocator_rig_connect(int with_memory);
/* Disconnects the client and stops the compositor. */
void allocator_rig_stop(void);
/* Buffers all clients hold through the allocator, as the compositor counts them. */
uint32_t allocator_rig_held(void);
/* Requests the compositor answered: with buffers, and refused. */
uint64_t allocator_rig_served(void);
uint64_t allocator_rig_refused(void);
#ifdef __cplusplus
}
#endif
#endif
