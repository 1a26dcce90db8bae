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

# A Wayland client's hbm buffers on Weston (docs/compositors.md): always in the lab guest,
# where Weston runs on the vkms card; the client checks its pattern on the KMS plane.
if [ -x ./build/examples/hbm-wayland-client ]; then
	echo "demo: a Wayland client's hbm buffers on Weston, in the lab guest"
	set +e
	tests/lab/run.sh --timeout 600 --collect "$out" -- tests/lab/compositors/session.sh weston -- \
		./build/examples/hbm-wayland-client --fullscreen --frames 30 --check-plane
	weston_status=$?
	set -e
	[ "$status" != 0 ] || status=$weston_status
fi
exit "$status"
