#!/usr/bin/env bash
# Runs every fuzzer for SECONDS each (default 600), after replaying the kept crash inputs.
# Builds build-fuzz (clang, libFuzzer, ASan+UBSan) first if needed. New corpus inputs and
# crashes go to build-fuzz/fuzz-out/{corpus,crashes}/NAME; keep a crash as
# tests/fuzz/crashes/NAME/<what-it-is> once understood, so the fuzz suite replays it.
#
#     scripts/fuzz.sh [SECONDS]
# The short CI form is the meson suite: meson test -C build-fuzz --suite fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
builddir=${HBM_FUZZ_BUILDDIR:-build-fuzz}

[ -d "$builddir" ] || CC=clang CXX=clang++ meson setup "$builddir" -Dfuzz=enabled \
	-Db_sanitize=address,undefined -Db_lundef=false -Dtests=false -Dexamples=false -Dlab=disabled \
	-Dbuildtype=debugoptimized >/dev/null
# The fuzzers alone (not the tools and benchmarks the same build dir could make).
ninja -C "$builddir" fuzzers

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1
export HBM_FUZZ_OUT=$PWD/$builddir/fuzz-out
mkdir -p "$HBM_FUZZ_OUT"
status=0
for fuzzer in "$builddir"/tests/fuzz/hbm-fuzz-*; do
	name=${fuzzer##*/hbm-fuzz-}
	[ -x "$fuzzer" ] && [ -d "tests/fuzz/corpus/$name" ] || continue
	echo "== $name: kept crashes and seeds, then $seconds s"
	tests/fuzz/run.sh regressions "$fuzzer" "$name" || status=1
	log=$HBM_FUZZ_OUT/$name.log
	echo "   (libFuzzer's output: $log)"
	tests/fuzz/run.sh fuzz "$fuzzer" "$name" "$seconds" >"$log" 2>&1 || status=1
	grep -E '^(#[0-9]+ +DONE|stat::|SUMMARY|fuzz-)' "$log" || true
done
exit "$status"
