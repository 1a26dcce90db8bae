#!/usr/bin/env bash
# Every test, from a fresh Debian 12 machine: install, build, then the unit suite, the
# device suite on the host (device tests skip, naming the device) and the same device
# tests in the lab guest on a real kernel (there they must run). Extra arguments go to
# `meson test` (e.g. --suite unit).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
builddir=${HBM_BUILDDIR:-build}
[ -d "$builddir" ] || meson setup "$builddir" ${HBM_MESON_ARGS:-}
ninja -C "$builddir"

set +e
meson test -C "$builddir" --print-errorlogs "$@"
status=$?
set -e
python3 scripts/test-summary.py "$builddir/meson-logs/testlog.junit.xml" || status=1
exit "$status"
