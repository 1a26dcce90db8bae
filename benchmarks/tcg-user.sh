#!/usr/bin/env bash
# What hbm's own user-space work costs under the lab's emulator (qemu TCG), without the
# lab's kernel and its noise: qemu-x86_64 (user mode, the same TCG) runs hbm-instructions'
# loops over the stand-in heap and the pool, and the host's kernel serves their system
# calls, the same ones on both sides. Each operation is timed on its own, hbm's and the
# by-hand one alternating; the medians' difference is hbm's work as TCG charges it. Three
# runs agree within ~50 ns, where a lab boot's 4 KiB ratio moves by 0.04 (docs/performance.md).
#   benchmarks/tcg-user.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v qemu-x86_64 >/dev/null; then
	echo "tcg-user: qemu-x86_64 is missing: apt-get install qemu-user" >&2
	exit 77
fi
ninja -C build benchmarks/hbm-instructions >/dev/null
n=${1:-20000}
for run in 1 2 3; do
	for mode in stand-in pool; do
		qemu-x86_64 -cpu max build/benchmarks/hbm-instructions "$n" "$mode" | grep alternating
	done
done
