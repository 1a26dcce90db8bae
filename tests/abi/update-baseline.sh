#!/usr/bin/env bash
# Writes tests/abi/baseline/*.abi, the C ABI CI compares the built libraries with
# (abi-check.sh), from the libraries in BUILD_DIR (default: build). Run it after a
# deliberate change of hbm.h, hbm-wayland-*.h, hbm-egl.h or hbm-wlroots.h, and commit the
# baseline with the change. Build with the default options (debug info, -Dwayland, -Degl and
# -Dwlroots enabled) so that every library is there.
#
#   tests/abi/update-baseline.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v abidw >/dev/null || { echo "update-baseline: abidw not found (Debian: abigail-tools)" >&2; exit 1; }
build=${1:-build}
libs=("$build/libhbm.so" "$build/wayland/libhbm-wayland-client.so" "$build/wayland/libhbm-wayland-server.so"
	"$build/egl/libhbm-egl.so" "$build/wayland/wlroots/libhbm-wlroots.so")
for lib in "${libs[@]}"; do
	[ -e "$lib" ] || { echo "update-baseline: $lib not built" >&2; exit 1; }
	name=$(basename "$lib" .so)
	abidw --suppressions "$here/c-abi.suppr" --headers-dir "$here/../../include/hbm" --drop-private-types \
		--no-corpus-path --no-comp-dir-path --short-locs --out-file "$here/baseline/$name.abi" "$lib"
	echo "update-baseline: tests/abi/baseline/$name.abi"
done
