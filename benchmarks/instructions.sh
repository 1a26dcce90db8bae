#!/usr/bin/env bash
# User-space instructions per 4 KiB allocate (+ export) + free, hbm vs the same kernel
# calls made by hand, counted by callgrind (valgrind) with a stand-in heap at the allocator
# seam (see benchmarks/instructions.cpp). Deterministic: the machine's load does not move it.
#   benchmarks/instructions.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/.."
ninja -C build benchmarks/hbm-instructions >/dev/null
n=${1:-2000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" --dump-instr=no \
	build/benchmarks/hbm-instructions "$n" >/dev/null 2>"$out/log"
# Each dump names its loop ("desc: Trigger: Client Request: hbm allocate+free") and its total.
python3 - "$n" "$out"/cg.* <<'PY'
import re, sys
n = int(sys.argv[1])
ir = {}
for path in sys.argv[2:]:
    text = open(path).read()
    m = re.search(r"Client Request: (.+)", text)
    t = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
    if m and t:
        ir[m.group(1).strip()] = int(t.group(1)) / n
print("| per 4 KiB buffer (callgrind, user space) | hbm | by hand | hbm's own |")
print("| --- | --- | --- | --- |")
for what in ("allocate+free", "allocate+export+free"):
    h, r = ir.get("hbm " + what), ir.get("raw " + what)
    if h is None or r is None:
        sys.exit("missing callgrind dump for " + what)
    print(f"| {what} | {h:.0f} | {r:.0f} | {h - r:.0f} |")
PY
