/* SPDX-License-Identifier: MIT */
/* The C tests' one assertion: counts, and on failure names the line and hbm's last error. */
#ifndef HBM_TEST_CHECK_H
#define HBM_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include <hbm/hbm.h>

static int passed, failed;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (cond) {                                                                \
			passed++;                                                          \
		} else {                                                                   \
			failed++;                                                          \
			fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, \
				__LINE__, #cond, hbm_last_error());                        \
		}                                                                          \
	} while (0)

/* Rejection @index of the thread's last failure into @r, zeroed and its size set first: what
 * tests assert of a refusal (its sentence is pinned once, in tests/unit/refusal_test.cpp). */
static inline int last_rejection(size_t index, struct hbm_rejection *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	return hbm_last_rejection(index, r);
}

/* An options struct as a C caller writes one: its size set, the fields named, the rest 0. */
#define ALLOCATE_OPTIONS(...) (&(struct hbm_allocate_options){.size = sizeof(struct hbm_allocate_options), __VA_ARGS__})
#define IMPORT_OPTIONS(...) (&(struct hbm_import_options){.size = sizeof(struct hbm_import_options), __VA_ARGS__})

#endif
