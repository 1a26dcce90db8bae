/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * libhbm is built with -fvisibility=hidden: only what is marked HBM_EXPORT is part of the
 * ABI. tests/abi checks the exported symbol list against tests/abi/libhbm.symbols.
 */
#if defined(HBM_BUILDING_LIBRARY)
#define HBM_EXPORT __attribute__((visibility("default")))
#else
#define HBM_EXPORT
#endif
