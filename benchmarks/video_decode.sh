#!/usr/bin/env bash
# Decode-to-display frames per second through hbm (the decoder writes hbm buffers that the
# display scans out: no copy) against the usual loop (the decoder writes its own MMAP
# buffers; the CPU copies each frame into a scanout buffer), side by side in one lab boot:
# alternating runs of the video player example's Player (examples/video/player.cpp) as the
# lab's check drives it (tests/video/player_check.cpp makes the stream), medians, their
# ratio, the CPU time per frame and the copies made. See README.md ("Video").
#
#   benchmarks/video_decode.sh [RUNS] [FRAMES] [DISPLAY]     (default: 5 60 vkms)
#   benchmarks/video_decode.sh --in-guest PLAYER RUNS FRAMES DISPLAY   (what the guest runs)
set -euo pipefail
if [ "${1:-}" = --in-guest ]; then
	player=$2 runs=$3 frames=$4 display=$5
	for i in $(seq "$runs"); do
		for mode in zero-copy copy; do
			flag=()
			[ "$mode" = copy ] && flag=(--copy)
			line=$("$player" --display "$display" --frames "$frames" "${flag[@]}" 2>&1 | tail -n 1)
			echo "run $i $line"
		done
	done | tee runs.log
	python3 - runs.log <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    kv = dict(re.findall(r'(\w+)=([\w.-]+)', line))
    if 'mode' in kv:
        rows.setdefault(kv['mode'], []).append(kv)
def med(mode, key):
    return statistics.median(float(r[key]) for r in rows[mode])
if set(rows) != {'zero-copy', 'copy'}:
    sys.exit('missing runs: ' + ', '.join(rows))
for mode in ('zero-copy', 'copy'):
    print(f"{mode}: {len(rows[mode])} runs, median {med(mode, 'fps'):.2f} fps, "
          f"{med(mode, 'cpu_us_per_frame'):.0f} us CPU per frame, copies per run {med(mode, 'copies'):.0f}")
print(f"ratio zero-copy/copy: fps {med('zero-copy', 'fps') / med('copy', 'fps'):.2f}, "
      f"CPU per frame {med('zero-copy', 'cpu_us_per_frame') / med('copy', 'cpu_us_per_frame'):.2f}")
PY
	exit 0
fi
cd "$(dirname "$0")/.."
runs=${1:-5}
frames=${2:-60}
display=${3:-vkms}
ninja -C build tests/hbm-video-player-check
exec tests/lab/run.sh --timeout 1800 -- benchmarks/video_decode.sh --in-guest build/tests/hbm-video-player-check \
	"$runs" "$frames" "$display"
