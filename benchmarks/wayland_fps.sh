#!/usr/bin/env bash
# Frames per second of one client pushing hbm dma-bufs to a real compositor against the same
# client using wl_shm (same size, every pixel changed every frame, paced by frame callbacks),
# alternating runs in one lab boot; medians, their ratio, and what was created per frame after
# warm-up (wl_buffers, dma-bufs, fds: expected 0). See docs/compositors.md.
#
#   benchmarks/wayland_fps.sh [RUNS] [COMPOSITORS]     (default: 5 weston,sway)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
compositors=${2:-weston,sway}
ninja -C build examples/hbm-wayland-client
exec tests/lab/run.sh --timeout 1800 -- tests/lab/compositors/session.sh "$compositors" \
	--start-timeout 180 --timeout 1500 -- \
	tests/compositors/check.sh build/examples/hbm-wayland-client --bench-only "$runs"
