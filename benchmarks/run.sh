#!/usr/bin/env bash
# Runs the benchmarks and prints the tables of ratios and targets. Pure CPU work
# (negotiation, region algorithms) runs natively here; what needs devices runs where they
# are (here, or in the lab guest). Results: build/bench/{host,devices}.json, and
# build/bench/ratios.svg, the allocation ratio from 4 KiB to 32 MiB (benchmarks/plot.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ninja -C build benchmarks/hbm-benchmarks
out=$PWD/build/bench
mkdir -p "$out"
# Each comparison alternates hbm and its baseline inside one benchmark; repetitions give
# the medians.
common=(--benchmark_repetitions="${REPS:-9}" --benchmark_report_aggregates_only=true --benchmark_out_format=json)
pure='Negotiate|RegionReplay'
# FILTER narrows the device benchmarks (a Google Benchmark regex), e.g.
# FILTER='AllocateVsRaw|Vkms|Share' REPS=9 benchmarks/run.sh
devices=${FILTER:--$pure}
./build/benchmarks/hbm-benchmarks "${common[@]}" --benchmark_filter="$pure" --benchmark_out="$out/host.json" >/dev/null
if [ -e /dev/dma_heap/system ]; then
	(cd "$out" && ../benchmarks/hbm-benchmarks "${common[@]}" --benchmark_filter="$devices" --benchmark_out=devices.json)
else
	tests/lab/run.sh --timeout 1500 --collect "$out" -- build/benchmarks/hbm-benchmarks "${common[@]}" \
		--benchmark_filter="$devices" --benchmark_out=devices.json
fi
python3 benchmarks/ratios.py "$out/devices.json" "$out/host.json"
# The curve next to the JSON; a FILTER without the allocation benchmarks leaves no plot
# (and no stale one from an earlier run).
rm -f "$out/ratios.svg"
if python3 benchmarks/plot.py -o "$out/ratios.svg" "$out/devices.json"; then
	echo
	echo "plot: $out/ratios.svg"
fi
