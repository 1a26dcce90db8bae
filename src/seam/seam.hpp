// SPDX-License-Identifier: MIT
// hbm's private seam: what libhbm shares with hbm's own integration libraries
// (libhbm-wayland-client, libhbm-wayland-server, libhbm-egl) and with nothing else. Each
// rule here exists once, in libhbm: the C ABI's struct and request readers, its error
// recorder and handle bridge, error builders, log categories, device lookups and the
// renderer table. Its symbols live in namespace hbm_seam and leave libhbm.so only under the
// version node HBM_SEAM_0 (src/libhbm.syms), which tests/abi/check-exports.sh names as
// private: no installed header declares them, and they may change in any release.
// (libcamera's choice for libcamera-base, docs/architecture.md says why.)
#pragma once

#ifndef HBM_INSIDE_HBM
#error "src/seam/ is private to hbm's own libraries: programs use the installed <hbm/…> headers"
#endif

/// Exports a declaration of the seam from libhbm.so (built with hidden visibility).
#define HBM_SEAM __attribute__((visibility("default")))
