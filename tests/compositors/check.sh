#!/bin/bash
# The compositor checks of issue 9 against the compositor session.sh started (weston or
# sway), in one compositor start:
#  1. the feedback the example client parsed equals what weston-simple-dmabuf-feedback printed;
#  2. the client fullscreen: hbm's plan, then the last frame's pattern read back from a plane;
#  3. the client windowed (the compositor composites it): the same, and the compositor lives
#     (session.sh checks it is running and its log has no crash after this script);
#  4. (--bench) frames per second, hbm dma-bufs against wl_shm, alternating runs.
#
#  5. (--allocator, on Weston with hbm-weston.so) allocator-check.sh: the compositor
#     allocating for a client with no device access, in the same compositor start.
#
#   check.sh CLIENT [--bench RUNS | --bench-only RUNS] [--allocator ALLOCATOR_CLIENTS]
set -uo pipefail
client=$1
shift
bench_runs=0
checks=1
allocator_clients=
while [ $# -gt 0 ]; do
	case "$1" in
	--bench) bench_runs=$2; shift 2 ;;
	--bench-only) bench_runs=$2 checks=0; shift 2 ;;
	--allocator) allocator_clients=$2; shift 2 ;;
	*) echo "check.sh: unknown option $1" >&2; exit 64 ;;
	esac
done
here=$(dirname "$(realpath "$0")")
comp=$HBM_COMPOSITOR
failures=0

step() { echo "=== $comp: $*"; }
check() { # NAME COMMAND...: runs it, logs to $comp-NAME.log, counts a failure
	local name=$1
	shift
	"$@" >"$comp-$name.log" 2>&1
	local rc=$?
	cat "$comp-$name.log"
	if ! kill -0 "$HBM_COMPOSITOR_PID" 2>/dev/null; then
		echo "FAIL: $comp died during $name; the remaining checks cannot run"
		exit 70
	fi
	if [ $rc -ne 0 ]; then
		echo "FAIL: $comp $name (status $rc)"
		failures=$((failures + 1))
	else
		echo "PASS: $comp $name"
	fi
	return $rc
}

if [ $checks -eq 1 ]; then
step "feedback as weston-simple-dmabuf-feedback prints it"
"$here/../lab/compositors/record-feedback.sh" >/dev/null 2>&1 || { echo "FAIL: $comp weston-simple-dmabuf-feedback printed no feedback"; failures=$((failures + 1)); }
check client-feedback "$client" --print-feedback --frames 3 --warmup 1
check feedback-equal "$here/compare-feedback.py" "$comp-feedback.txt" "$comp-client-feedback.log"

step "fullscreen, pixels read back from the planes"
check fullscreen "$client" --fullscreen --frames 20 --warmup 5 --check-plane

step "windowed (composited), pixels read back from the planes"
check windowed "$client" --size 256x256 --frames 20 --warmup 5 --check-plane

fi

if [ "$bench_runs" -gt 0 ]; then
	step "frame rate: hbm dma-buf against wl_shm, $bench_runs runs each, alternating"
	for run in $(seq "$bench_runs"); do
		check "bench-dmabuf-$run" "$client" --size 512x512 --frames 70 --warmup 10
		check "bench-shm-$run" "$client" --shm --size 512x512 --frames 70 --warmup 10
	done
	"$here/bench-summary.py" "$comp" "$bench_runs" || failures=$((failures + 1))
fi
if [ -n "$allocator_clients" ] && [ "$comp" = weston ]; then
	step "the compositor allocates for a client with no device access (hbm-weston.so)"
	"$here/allocator-check.sh" "$client" "$allocator_clients" || failures=$((failures + 1))
fi
# A compositor can fall over after a client has gone (Weston's close animation on
# kms_swrast did: docs/compositors.md): one more client shows it still serves.
step "still serving a new client after the others left"
check survivor "$client" --shm --size 64x64 --frames 3 --warmup 1
echo "=== $comp: $failures failure(s)"
[ $failures -eq 0 ]
