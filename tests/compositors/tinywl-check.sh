#!/bin/bash
# tinywl_hbm (examples/tinywl_hbm.c) on the vkms card with wlroots 0.15's DRM backend, in
# one boot (issue 18). Most runs use wlroots' pixman renderer, which draws through the
# buffers' data pointers (hbm's CPU access); 5 uses gles2 on kms_swrast. llvmpipe runs
# without AVX2 here (run.sh; hbm-gather-check first says why: qemu's TCG mis-executes the
# gathers its texture fetch uses).
#  1. hbm's allocator: the example client composited inside it, its last frame read back
#     from the plane; every output frame on an hbm buffer (counted);
#  2. a forced refusal: a second reader of the output that takes only NV12 — hbm's sentence
#     naming it in wlroots' log, the compositor drops it and goes on, frames still shown;
#  3. --encode: vicodec's encoder joins the output swapchain's negotiation and reads every
#     committed frame in place: frames committed = frames encoded, the plane's dma-buf among
#     those the encoder read (inodes), and the plane's frame read back while the client holds
#     still decodes exactly as one of the stream's frames (encode_check.cpp says why
#     "exactly" holds for a lossy codec);
#     With the encoder set for another size: refused at attach naming its queue, dropped,
#     and the compositor goes on showing frames;
#  4. wlroots' own allocator in the same binary, the same client: its frame read back, the
#     client's fps with each; then three alternating rounds of each for the frame cost
#     (tinywl_hbm's median after warm-up) and buffers the output took after warm-up (0);
#  5. the gles2 renderer (Mesa, kms_swrast): hbm's allocator with the renderer's EGL display
#     as a participant (its device-local rule), then wlroots' own; the client composited by
#     GL and read back from the plane with each.
#
#   tinywl-check.sh TINYWL CLIENT ENCODE_CHECK GATHER_CHECK
set -uo pipefail
tinywl=$1
client=$2
encode_check=$3
gather_check=$4
here=$(dirname "$(realpath "$0")")
source "$here/../lab/compositors/vkms-card.sh"
card=$(vkms_card) || { echo "FAIL: no vkms card"; exit 1; }
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

SEATD_VTBOUND=0 seatd -g nogroup >seatd.log 2>&1 &
seatd_pid=$!
for _ in $(seq 100); do [ -S /run/seatd.sock ] && break; sleep 0.1; done
export XDG_RUNTIME_DIR=/run/hbm-tinywl
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
renderer=pixman
run() { # NAME ARGS...: tinywl_hbm with ARGS and $renderer, its log in tinywl-NAME.log
	local name=$1
	shift
	LIBSEAT_BACKEND=seatd WLR_DRM_DEVICES=$card WLR_BACKENDS=drm WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=$renderer \
		MESA_LOADER_DRIVER_OVERRIDE=kms_swrast timeout 300 "$tinywl" "$@" >"tinywl-$name.log" 2>&1
	local rc=$?
	grep -E "tinywl_hbm|hbm|readback|frames:|after warm-up|plan:" "tinywl-$name.log" | grep -v "^$" | tail -n 25
	if grep -nE "SIGSEGV|Segmentation fault|Aborted|backtrace" "tinywl-$name.log"; then
		fail "$name: tinywl_hbm crashed"
	fi
	return $rc
}

echo "=== the CPU's AVX2 gathers (llvmpipe's texture fetch), and the lab's answer to them"
"$gather_check" || fail "AVX2 gathers are wrong here and llvmpipe is not told to avoid them"

echo "=== tinywl_hbm with hbm's allocator: a client composited, the plane read back"
if run hbm --allocator=hbm -s "$client --shm --size 256x256 --frames 40 --warmup 10 --check-plane-card $card"; then
	pass "the client's last frame is on the plane"
else
	fail "hbm: the client failed or its frame is not on the plane"
fi
line=$(grep "tinywl_hbm: frames" tinywl-hbm.log)
frames=$(sed -n 's/.*frames \([0-9]*\), of them on hbm buffers \([0-9]*\).*/\1 \2/p' <<<"$line")
read -r total on_hbm <<<"$frames"
if [ -n "${total:-}" ] && [ "$total" -gt 0 ] && [ "$total" = "$on_hbm" ]; then
	pass "every output frame was an hbm buffer ($line)"
else
	fail "not every output frame was hbm's: $line"
fi

echo "=== a forced refusal: a second reader of the output that takes only NV12"
# A client keeps frames coming (with nothing to draw, wlroots commits no new frame).
run refusal --allocator=hbm --second-reader=NV12 -s "$client --shm --size 128x128 --frames 12 --warmup 2" ||
	fail "refusal: the client failed after the compositor dropped the second reader"
if grep -q "hbm: no .* buffer: attaching second reader (declared)" tinywl-refusal.log; then
	pass "refused with hbm's sentence: $(grep -m1 "hbm: no .* buffer: attaching second reader" tinywl-refusal.log | sed 's/.*\] //')"
else
	fail "no refusal naming the second reader in the log"
fi
if grep -q "tinywl_hbm: frames [1-9]" tinywl-refusal.log; then
	pass "wlroots fell back and showed frames: $(grep "tinywl_hbm: frames" tinywl-refusal.log)"
else
	fail "no frames after the fallback"
fi

echo "=== --encode: vicodec's encoder reads every output frame from the swapchain"
# The client shows its last frame and holds it; meanwhile the plane is captured.
cat >encode-client.sh <<SCRIPT
$client --shm --size 256x256 --frames 30 --warmup 5 --check-plane-card $card --hold-ms 4000 >encode-client.log 2>&1 &
client_pid=\$!
for _ in \$(seq 600); do grep -q '^readback:' encode-client.log && break; sleep 0.2; done
sleep 1
$encode_check capture $card plane.capture >capture.log 2>&1
wait \$client_pid
SCRIPT
run encode --allocator=hbm --encode "$PWD/tinywl.fwht" -s "sh $PWD/encode-client.sh" ||
	fail "encode: the client failed or its frame is not on the plane"
cat encode-client.log capture.log | grep -E "readback:|captured|FAIL|hbm-" | sed 's/^/  /'
committed=$(sed -n 's/.*tinywl_hbm: frames \([0-9]*\), of them on hbm buffers \([0-9]*\).*/\1 \2/p' tinywl-encode.log)
read -r committed on_hbm <<<"$committed"
encoded=$(sed -n 's/.*tinywl_hbm: encoded \([0-9]*\) frames.*/\1/p' tinywl-encode.log)
inodes=$(sed -n 's/.*inodes\(.*\);.*/\1/p' tinywl-encode.log)
plane_inode=$(sed -n 's/.*dma-buf inode \([0-9]*\).*/\1/p' capture.log)
if [ -n "${encoded:-}" ] && [ "${encoded:-0}" -gt 0 ] && [ "$encoded" = "${committed:-}" ] && [ "$encoded" = "${on_hbm:-}" ]; then
	pass "$committed frames committed on hbm buffers, $encoded encoded from them ($(grep -o 'encoded .*' tinywl-encode.log))"
else
	fail "frames committed ${committed:-?} (on hbm buffers ${on_hbm:-?}) but encoded ${encoded:-none}"
fi
if grep -q "dropping" tinywl-encode.log; then
	fail "the encoder was dropped: $(grep -m1 dropping tinywl-encode.log)"
fi
readback_inode=$(sed -n 's/^readback: .*dma-buf inode \([0-9]*\) at .*all .* pixels match.*/\1/p' encode-client.log)
if [ -n "$plane_inode" ] && [ "$plane_inode" = "${readback_inode:-}" ]; then
	pass "captured while the client's last frame was on the plane (dma-buf inode $plane_inode, where it read its frame back)"
else
	fail "the capture (inode ${plane_inode:-?}) is not of the buffer where the client read its last frame back (${readback_inode:-none})"
fi
if [ -n "$plane_inode" ] && grep -qw "$plane_inode" <<<"$inodes"; then
	pass "the plane's dma-buf (inode $plane_inode) is one the encoder read (inodes$inodes): no copy"
else
	fail "the plane's dma-buf (inode ${plane_inode:-?}) is not among those the encoder read (${inodes:-none})"
fi
if "$encode_check" verify tinywl.fwht plane.capture "${encoded:-0}"; then
	pass "the stream decodes to the frame the plane showed"
else
	fail "the stream does not decode to the frame the plane showed"
fi

echo "=== --encode with the encoder set for 640x480: refused at attach naming its queue, the compositor goes on"
run encode-refused --allocator=hbm --encode "$PWD/refused.fwht" --encode-size 640x480 \
	-s "$client --shm --size 128x128 --frames 12 --warmup 2" ||
	fail "encode-refused: the client failed after the compositor dropped the encoder"
refusal=$(grep -m1 "hbm: no .* buffer: attaching vicodec output queue" tinywl-encode-refused.log | sed 's/.*\] //')
if [ -n "$refusal" ] && grep -q "(fixed-size)" <<<"$refusal" && grep -q "dropping the encoder" tinywl-encode-refused.log; then
	pass "refused naming the queue, and the encoder dropped: $refusal"
else
	fail "no fixed-size refusal naming vicodec's queue, or the encoder was not dropped"
fi
if grep -q "tinywl_hbm: frames [1-9]" tinywl-encode-refused.log && ! grep -q "tinywl_hbm: encoded [1-9]" tinywl-encode-refused.log; then
	pass "frames shown without recording: $(grep "tinywl_hbm: frames" tinywl-encode-refused.log)"
else
	fail "after the refusal: $(grep -E "tinywl_hbm: (frames|encoded)" tinywl-encode-refused.log | tr '\n' ' ')"
fi

echo "=== wlroots' own allocator, the same client"
run wlroots --allocator=wlroots -s "$client --shm --size 256x256 --frames 40 --warmup 10 --check-plane-card $card" ||
	fail "wlroots: the client failed or its frame is not on the plane"
hbm_fps=$(sed -n 's/^frames: .* \([0-9.]*\) fps.*/\1/p' tinywl-hbm.log)
wlr_fps=$(sed -n 's/^frames: .* \([0-9.]*\) fps.*/\1/p' tinywl-wlroots.log)
echo "client fps inside tinywl_hbm: hbm's allocator ${hbm_fps:-?}, wlroots' ${wlr_fps:-?}"
echo "=== frame cost side by side: three rounds of each allocator, the same client (120 frames)"
# tinywl_hbm's frame cost: the scene rendered (pixman) into a swapchain buffer and committed,
# median over the frames after its warm-up; the rounds alternate so load hits both alike.
for round in 1 2 3; do
	for name in hbm wlroots; do
		run "cost-$name-$round" --allocator=$name --warmup 10 -s "$client --shm --size 256x256 --frames 130 --warmup 10" \
			>run.out || fail "cost-$name-$round: the client failed"
		grep "FAIL" run.out # a crash, told by run()
		line=$(grep "tinywl_hbm: after" "tinywl-cost-$name-$round.log")
		echo "  round $round, $name: ${line#*tinywl_hbm: }"
		new=$(sed -n 's/.*had not used before: \([0-9]*\).*/\1/p' <<<"$line")
		[ "${new:-x}" = 0 ] || fail "cost-$name-$round: ${new:-?} buffers new to the output after warm-up"
		sed -n 's/.*frame cost median \([0-9.]*\) ms.*/\1/p' <<<"$line" >>"cost-$name.txt"
	done
done
median() { sort -n "$1" | awk '{v[NR]=$1} END {print (NR ? v[int((NR+1)/2)] : "")}'; }
hbm_cost=$(median cost-hbm.txt)
wlr_cost=$(median cost-wlroots.txt)
if [ -n "$hbm_cost" ] && [ -n "$wlr_cost" ]; then
	pass "frame cost, median of the rounds' medians: hbm's allocator $hbm_cost ms, wlroots' $wlr_cost ms (ratio $(awk -v a="$hbm_cost" -v b="$wlr_cost" 'BEGIN {printf "%.2f", a / b}')); no buffer made after warm-up with either"
else
	fail "no frame cost measured (hbm ${hbm_cost:-?}, wlroots ${wlr_cost:-?})"
fi

echo "=== the gles2 renderer: hbm's allocator (the renderer a participant), then wlroots' own"
renderer=gles2
for name in hbm wlroots; do
	run "gles2-$name" --allocator=$name -s "$client --shm --size 256x256 --frames 40 --warmup 10 --check-plane-card $card" ||
		fail "gles2-$name: the client failed or its frame is not on the plane"
	readback=$(grep -m1 "^readback:" "tinywl-gles2-$name.log")
	frames=$(grep "tinywl_hbm: frames" "tinywl-gles2-$name.log")
	if grep -q "all 65536 pixels match" <<<"$readback"; then
		pass "gles2, $name's allocator: the client composited by GL, read back exactly (${frames#*tinywl_hbm: })"
	else
		fail "gles2, $name's allocator: ${readback:-no readback}"
	fi
done
if grep -q "the renderer as a participant" tinywl-gles2-hbm.log; then
	fail "gles2: the renderer did not become a participant: $(grep -m1 "the renderer as a participant" tinywl-gles2-hbm.log)"
fi
sed -n 's/.*tinywl_hbm: frames \([0-9]*\), of them on hbm buffers \([0-9]*\).*/\1 \2/p' tinywl-gles2-hbm.log | {
	read -r total on_hbm
	[ -n "${total:-}" ] && [ "$total" -gt 0 ] && [ "$total" = "$on_hbm" ]
} || fail "gles2: not every output frame was an hbm buffer"

kill "$seatd_pid" 2>/dev/null
wait "$seatd_pid" 2>/dev/null
echo "=== tinywl: $failures failure(s)"
[ $failures -eq 0 ]
