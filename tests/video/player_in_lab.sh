#!/usr/bin/env bash
# The video player path on real drivers, in one lab boot: vicodec's FWHT stream decoded
# into hbm buffers shown on a display, every frame read back from the display and compared
# with a reference decode into the decoder's own buffers. Runs examples/video_player.cpp:
#   - zero-copy on vkms, with the stream changing size mid-way (the player renegotiates);
#   - the copy baseline on vkms (the reference path through the display);
#   - zero-copy on cirrus, read back by qemu's screendump (tests/lab/run.sh's service).
# Any mismatch, stall, copy, or a buffer written while on screen fails the run.
#
#   player_in_lab.sh PLAYER single-planar|multi-planar
# The second argument is the V4L2 API the decoder must be using (vicodec.multiplanar=1 on
# the kernel command line switches it): the plan's trace must name it.
set -uo pipefail
player=$1
api=$2
resize=(--resize-at 6)
status=0

run() {
	local name=$1
	shift
	echo "== $name: $*"
	local out
	out=$(timeout -k 10 240 "$player" "$@" 2>&1)
	local rc=$?
	echo "$out" | grep -v '^plan: ' | tail -n 20
	echo "$out" | grep '^plan: ' | head -n 40 >"plan-$name.log"
	summary=$(echo "$out" | tail -n 1)
	if [ "$rc" != 0 ]; then
		echo "FAIL $name (exit $rc)"
		status=1
		return
	fi
	echo "PASS $name: $summary"
}

run vkms-zero-copy --display vkms --frames 12 "${resize[@]}" --verify
# A zero-copy summary must say: no copy, every frame's framebuffer the decoder's dma-buf.
case "$summary" in
*" copies=0 "*" written_while_shown=0 "*) ;;
*) echo "FAIL vkms-zero-copy: summary '$summary' is not zero-copy"; status=1 ;;
esac
grep -q "laid out as vicodec capture queue" plan-vkms-zero-copy.log ||
	{ echo "FAIL: the plan does not say the decoder fixed the layout"; status=1; }
grep -q "(vicodec, $api)" plan-vkms-zero-copy.log ||
	{ echo "FAIL: the decoder's queue is not $api: $(grep -o '(vicodec, [a-z-]*)' plan-vkms-zero-copy.log | head -n 1)"; status=1; }
run vkms-copy --display vkms --frames 12 "${resize[@]}" --verify --copy
# cirrus (a second display driver, qemu's cirrus-vga): read back by qemu's screendump.
run cirrus-zero-copy --display cirrus --frames 12 "${resize[@]}" --verify --screendump cirrus
case "$summary" in
*" copies=0 "*" written_while_shown=0 "*) ;;
*) echo "FAIL cirrus-zero-copy: summary '$summary' is not zero-copy"; status=1 ;;
esac
exit $status
