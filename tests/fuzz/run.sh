#!/usr/bin/env bash
# Runs one fuzzer for the fuzz suite and scripts/fuzz.sh:
#   run.sh regressions FUZZER NAME      every input in crashes/NAME and corpus/NAME, once
#   run.sh fuzz FUZZER NAME SECONDS     fuzz from corpus/NAME for SECONDS; new inputs go to
#                                       $HBM_FUZZ_OUT/corpus/NAME, a crash to
#                                       $HBM_FUZZ_OUT/crashes/NAME/ (default: ./fuzz-out)
set -euo pipefail
mode=$1 fuzzer=$2 name=$3
here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/corpus/$name
kept=$here/crashes/$name
out=${HBM_FUZZ_OUT:-$PWD/fuzz-out}

case $mode in
regressions)
	mkdir -p "$out"
	exec "$fuzzer" -runs=0 -error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$out/" "$kept" "$seeds"
	;;
fuzz)
	seconds=$4
	# Texts (a configuration, a trace) need room; binary inputs are small.
	case $name in config | trace) max_len=4096 ;; *) max_len=512 ;; esac
	mkdir -p "$out/corpus/$name" "$out/crashes/$name"
	status=0
	# -error_exitcode: libFuzzer's own default is 77, which meson reads as a skip — a crash
	# must fail the suite.
	"$fuzzer" -max_total_time="$seconds" -max_len=$max_len -timeout=10 -print_final_stats=1 \
		-error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$out/crashes/$name/" "$out/corpus/$name" "$seeds" ||
		status=$?
	if [ "$status" -ne 0 ]; then
		echo "fuzz-$name: found a crash: keep it as tests/fuzz/crashes/$name/<what-it-is>" \
			"(the fuzz suite replays it) and fix it:" >&2
		ls "$out/crashes/$name" >&2
	fi
	exit "$status"
	;;
*)
	echo "usage: $0 regressions|fuzz FUZZER NAME [SECONDS]" >&2
	exit 2
	;;
esac
