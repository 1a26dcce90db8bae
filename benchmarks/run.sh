#!/usr/bin/env bash
# Runs the benchmarks where the devices are (here, or in the lab guest) and prints the
# ratio table. Results: build/bench/bench.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ninja -C build benchmarks/hbm-benchmarks
out=$PWD/build/bench
mkdir -p "$out"
# Each comparison alternates hbm and its baseline inside one benchmark; repetitions give
# the medians.
args=(--benchmark_repetitions="${REPS:-9}"
	--benchmark_report_aggregates_only=true
	--benchmark_out=bench.json --benchmark_out_format=json)
if [ -e /dev/dma_heap/system ]; then
	(cd "$out" && ../benchmarks/hbm-benchmarks "${args[@]}")
else
	tests/lab/run.sh --timeout 1200 --collect "$out" -- build/benchmarks/hbm-benchmarks "${args[@]}"
fi
python3 benchmarks/ratios.py "$out/bench.json"
