#!/usr/bin/env bash
# CI's ABI check: the C ABI of each built hbm library (libhbm, libhbm-wayland-client, libhbm-wayland-server, libhbm-egl:
# the same files `meson install` installs), compared by libabigail's abidiff with the
# baseline kept in tests/abi/baseline/. Any change fails — a removed or changed function
# or field (a break), and an added one too, so that the baseline always says what the
# libraries export. c-abi.suppr restricts both sides to the C functions (hbm_*), and the
# public headers make the handles' structs opaque, as hbm.h declares them.
#
# A deliberate change updates the baseline in the same commit as the change:
#   tests/abi/update-baseline.sh BUILD_DIR
# and the commit's diff of tests/abi/baseline/*.abi is the ABI change a reviewer reads.
#
#   abi-check.sh SUPPRESSIONS PUBLIC_HEADERS_DIR BASELINE_DIR LIB…
set -euo pipefail
suppressions=$1
headers=$(cd "$2" && pwd)
baseline=$3
shift 3
if ! command -v abidiff >/dev/null; then
	echo "abi-check: abidiff not found (Debian: abigail-tools; scripts/install-deps.sh installs it)"
	exit 77
fi
status=0
for lib in "$@"; do
	name=$(basename "$lib")
	name=${name%%.so*}
	if [ ! -f "$baseline/$name.abi" ]; then
		echo "abi-check: no baseline $baseline/$name.abi: run tests/abi/update-baseline.sh"
		status=1
		continue
	fi
	# The same reading as update-baseline.sh's: C symbols, public types, opaque handles.
	if out=$(abidiff --no-unreferenced-symbols --suppressions "$suppressions" --headers-dir2 "$headers" \
		--drop-private-types "$baseline/$name.abi" "$lib"); then
		echo "$name: C ABI as in $name.abi"
	else
		echo "$name: C ABI differs from tests/abi/baseline/$name.abi (abidiff status $?):"
		echo "$out"
		echo "A deliberate change updates the baseline in the same commit: tests/abi/update-baseline.sh BUILD_DIR"
		status=1
	fi
done
exit "$status"
