#!/usr/bin/env bash
# In the lab guest (or on any machine with the devices): user-space instructions
# (callgrind) and system calls (strace -c) per operation, hbm vs the same work by hand, for
# a 4 KiB dma-heap allocation, a 1080p buffer from GBM on vkms and a share round trip.
# Counts, not times: the emulated, shared lab machine cannot move them.
#   tests/lab/run.sh -- benchmarks/device-counts.sh      (from the build's parent directory)
set -euo pipefail
bin=${HBM_INSTRUCTIONS:-$(dirname "$0")/../build/benchmarks/hbm-instructions}
n=${N:-300}
for mode in dma-heap gbm share; do
	dir=$(mktemp -d)
	valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" --dump-instr=no "$bin" "$n" "$mode" >/dev/null 2>"$dir/log" ||
		{ cat "$dir/log"; exit 1; }
	for f in "$dir"/cg.*.*; do
		what=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
		total=$(sed -n 's/^summary: //p' "$f")
		[ -n "$what" ] && echo "$mode: $what: $((total / n)) instructions per operation"
	done
	# System calls per operation: the difference between 2n and n iterations, per side,
	# so that what a process does once (context, devices) cancels out.
	for side in hbm raw; do
		strace -f -c -o "$dir/a" "$bin" "$n" "$mode" "$side" >/dev/null 2>&1
		strace -f -c -o "$dir/b" "$bin" "$((2 * n))" "$mode" "$side" >/dev/null 2>&1
		python3 - "$dir/a" "$dir/b" "$n" "$mode" "$side" <<'PY'
import sys
def calls(path):
    out = {}
    for line in open(path):
        p = line.split()
        if len(p) >= 5 and p[-1] != "total" and p[0][0].isdigit():
            out[p[-1]] = int(p[3])
    return out
a, b, n = calls(sys.argv[1]), calls(sys.argv[2]), int(sys.argv[3])
per = {k: (b.get(k, 0) - a.get(k, 0)) / n for k in set(a) | set(b)}
per = {k: v for k, v in per.items() if v >= 0.5}
print(f"{sys.argv[4]}: {sys.argv[5]}: {sum(per.values()):.1f} syscalls per operation: " +
      ", ".join(f"{k} {v:.1f}" for k, v in sorted(per.items())))
PY
	done
	rm -rf "$dir"
done
