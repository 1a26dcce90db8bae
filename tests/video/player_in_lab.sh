#!/usr/bin/env bash
# The video player path on real drivers, in one lab boot: vicodec's FWHT stream decoded
# into hbm buffers shown on a display, every frame read back from the display and compared
# with a reference decode into the decoder's own buffers. Runs the example's Player under
# tests/video/player_check.cpp (which watches it through its hooks):
#   - zero-copy on vkms, with the stream changing size mid-way (the player renegotiates);
#   - the copy baseline on vkms (the reference path through the display);
#   - zero-copy on cirrus, read back by qemu's screendump (tests/lab/run.sh's service);
# then examples/video_player.cpp itself, playing the same stream from a file on vkms.
# Any mismatch, stall, copy, or a buffer written while on screen fails the run.
#
#   player_in_lab.sh CHECK PLAYER single-planar|multi-planar
# The last argument is the V4L2 API the decoder must be using (vicodec.multiplanar=1 on
# the kernel command line switches it): the plan's trace must name it.
set -uo pipefail
check=$1
player=$2
api=$3
resize=(--resize-at 6)
status=0

run() {
	local name=$1
	shift
	echo "== $name: $*"
	local out
	out=$(timeout -k 10 240 "$@" 2>&1)
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

# A zero-copy summary must say: no copy, every frame's framebuffer the decoder's dma-buf.
zero_copy() {
	case "$summary" in
	*" copies=0 "*" written_while_shown=0 "*) ;;
	*) echo "FAIL $1: summary '$summary' is not zero-copy"; status=1 ;;
	esac
}

# The plan must say the decoder fixed the layout, through the V4L2 API asked for.
decoder_fixed_layout() {
	grep -q "laid out as vicodec capture queue" "plan-$1.log" ||
		{ echo "FAIL $1: the plan does not say the decoder fixed the layout"; status=1; }
	grep -q "(vicodec, $api)" "plan-$1.log" ||
		{ echo "FAIL $1: the decoder's queue is not $api: $(grep -o '(vicodec, [a-z-]*)' "plan-$1.log" | head -n 1)"; status=1; }
}

run vkms-zero-copy "$check" --display vkms --frames 12 "${resize[@]}" --verify
zero_copy vkms-zero-copy
decoder_fixed_layout vkms-zero-copy
run vkms-copy "$check" --display vkms --frames 12 "${resize[@]}" --verify --copy
# cirrus (a second display driver, qemu's cirrus-vga): read back by qemu's screendump.
run cirrus-zero-copy "$check" --display cirrus --frames 12 "${resize[@]}" --verify --screendump cirrus
zero_copy cirrus-zero-copy

# The example as a user runs it: a file in, every frame shown, nothing copied.
run write-stream "$check" --frames 12 "${resize[@]}" --write-stream stream.fwht
run example "$player" stream.fwht --display vkms
case "$summary" in
"frames=12 "*" copies=0 mode=zero-copy") ;;
*) echo "FAIL example: summary '$summary' is not 12 frames zero-copy"; status=1 ;;
esac
decoder_fixed_layout example
exit $status
