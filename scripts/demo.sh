#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine: install, build, then show a test pattern on a
# vkms display from the system and the CMA dma-heap, capture it through writeback and
# compare. Runs on this machine's devices when it has them, otherwise in the lab guest.
# The captures are written to build/demo/hbm-demo-*.png.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
[ -d build ] || meson setup build
ninja -C build

out=$PWD/build/demo
mkdir -p "$out"
set +e
./build/examples/hbm-scanout-demo --out "$out"
status=$?
set -e
if [ "$status" = 77 ]; then
	echo "demo: this machine lacks the devices; running it in the lab guest"
	tests/lab/run.sh --collect "$out" -- ./build/examples/hbm-scanout-demo
	status=$?
fi
ls "$out"/*.png 2>/dev/null || true
exit "$status"
