#!/usr/bin/env bash
# The hbm command (and hbm-replay) end to end. On a machine without devices: info works and lists memfd,
# plan refuses with the reason. In the lab (HBM_LAB=1): plan and alloc for vkms planes.
set -uo pipefail
hbm=$1
replay=$2 # hbm-replay (uninstalled, over the test rig)
passed=0
failed=0
check() { # description, command...
	local what=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED: $what"
	fi
}

check "--help prints the usage on stdout and exits 0" bash -c "'$hbm' --help 2>/dev/null | grep -q '^usage: hbm info'"
check "plan --help too" bash -c "'$hbm' plan --help >/dev/null 2>&1"
check "an unknown option still exits 2" bash -c "'$hbm' --bogus 2>/dev/null; [ \$? = 2 ]"
check "so does an unknown command" bash -c "'$hbm' frobnicate 2>/dev/null; [ \$? = 2 ]"

info=$("$hbm" info --json)
check "info --json is JSON with allocators" python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(a["name"]=="memfd" for a in d["allocators"])' <<<"$info"
check "info --json names hbm's version and the JSON schema's" python3 -c 'import json,re,sys; v=json.load(sys.stdin)["version"]; assert re.fullmatch(r"\d+\.\d+\.\d+", v["hbm"]) and v["schema"] == 1, v' <<<"$info"
check "so does an error in JSON" bash -c "'$hbm' plan 64x64 NV13 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"version\"][\"schema\"] == 1 and \"NV13\" in d[\"error\"], d'"
check "info prints the allocator order" bash -c "'$hbm' info | grep -q 'allocators, in the order hbm tries them'"
# Probing makes no GBM device (Mesa loads a driver, and prints MESA-LOADER lines for a
# kernel driver it has none for, as vkms and vgem): GBM is made at its first allocation.
probe=$("$hbm" info 2>&1)
check "info loads no Mesa driver (no MESA-LOADER line)" bash -c '! grep -E "MESA-LOADER|failed to load driver|kmsro"' <<<"$probe"
bad=$("$hbm" plan 64x64 NV13 2>&1)
check "unknown format is named" grep -q "unknown format 'NV13'" <<<"$bad"
check "bad size is named" bash -c "'$hbm' plan 64by64 XRGB8888 2>&1 | grep -q \"'64by64' is not WIDTHxHEIGHT\""
check "an unknown --allocator fails before any plan is printed" bash -c "out=\$('$hbm' alloc 64x64 XRGB8888 --allocator dma-heap:nope 2>&1); [ \$? = 1 ] && grep -q \"no allocator named 'dma-heap:nope'\" <<<\"\$out\" && ! grep -q 'plan for' <<<\"\$out\""
for size in 99999999999x1 1x4294967296 -1x1 +1x1 1x 1x1x1 " 1x1"; do
	check "size '$size' is refused, quoted" bash -c "'$hbm' plan '$size' XRGB8888 2>&1 | grep -q \"'$size' is not WIDTHxHEIGHT\""
done
big=$(HBM_CONFIG_OVERRIDE='participant.panel.formats=["XRGB8888"];participant.panel.max_width=100' "$hbm" plan 200x200 XRGB8888 --participant panel 2>&1)
check "a size past a limit is no plan: the one errno (ENOTSUP), not execve's E2BIG" bash -c 'grep -q "takes at most 100 pixels across (asked 200).*NOTSUP" && ! grep -q "Argument list"' <<<"$big"
empty=$(mktemp)
echo "hbm-trace 1" >"$empty"
for size in 12Q 0 0M 18446744073709551615K -1M 1.5M "" M; do
	check "region size '$size' is refused, quoted" bash -c "'$replay' '$empty' --region-size '$size' 2>&1 | grep -q \"region-size '$size' is not a size\""
done
check "a region size in bytes is taken" bash -c "'$replay' '$empty' --region-size 65536 | grep -q 'region of 65536 bytes'"
check "and in MiB" bash -c "'$replay' '$empty' --region-size 16m | grep -q 'region of 16 MiB'"
printf 'a 1 10 64 64 0x34325258 16384 dma-heap:system 5000\nf 2 20\n' >>"$empty"
check "replay refuses a release of an id never allocated, naming the line" bash -c "'$replay' '$empty' 2>&1 | grep -q 'trace line 3: release of 2, which is not live'"
rm -f "$empty"

# --device: a drm_info dump planned for without its hardware (tests/data/devices/).
devices=$(dirname "$(realpath "$0")")/../data/devices
tgl=$("$hbm" plan --device "$devices/i915-tgl.json" 1920x1080 XRGB8888 --plane primary --json)
check "plan --device chooses the i915 primary's vendor layout from its GBM, modelled" python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["modifier"]=="INTEL_X_TILED" and d["allocator"]=="gbm:i915" and d["modelled"] and d["laid_out_by"]=="gbm:i915", d' <<<"$tgl"
check "alloc refuses --device: nothing is allocated for a snapshot" bash -c "'$hbm' alloc --device '$devices/i915-tgl.json' 64x64 XRGB8888 2>&1 | grep -q 'nothing can be allocated for it'"
check "a fact without --device is refused" bash -c "'$hbm' plan 64x64 XRGB8888 --no-iommu 2>&1 | grep -q 'declares a fact of a --device snapshot'"
check "a missing --device plane is named" bash -c "'$hbm' plan --device '$devices/meson-g12a.json' 64x64 XRGB8888 --plane cursor 2>&1 | grep -q 'has no such plane'"
check "a dump that is not JSON is refused naming its place" bash -c "echo '{oops' >/tmp/hbm-cli-bad.json; '$hbm' plan --device /tmp/hbm-cli-bad.json 64x64 XRGB8888 2>&1 | grep -q '/tmp/hbm-cli-bad.json:1:2: not JSON'"
check "info --drm-info and --json together are refused" bash -c "! '$hbm' info --json --drm-info >/dev/null 2>&1"
rm -f /tmp/hbm-cli-bad.json

if [ "${HBM_LAB:-}" = 1 ]; then
	"$hbm" info --drm-info >this-machine.json
	check "info --drm-info writes a dump plan --device reads back: vkms's primary plane" bash -c "'$hbm' plan --device this-machine.json 1920x1080 XRGB8888 --plane primary | grep -q 'modelled: nothing was allocated'"
	check "and it is drm_info's shape: every card with planes" python3 -c 'import json,sys; d=json.load(open("this-machine.json")); assert any(v["driver"]["name"]=="vkms" and v["planes"] for v in d.values()), d.keys()'

	plan=$("$hbm" plan 1920x1080 XRGB8888 --plane vkms:primary)
	check "plan for the vkms primary plane" grep -q "chose XRGB8888 (XR24) with modifier LINEAR from dma-heap:system" <<<"$plan"
	echo "$plan"
	cursor=$("$hbm" plan 1920x1080 ARGB8888 --plane vkms:primary --plane vkms:cursor 2>&1)
	check "a 1080p cursor is refused, naming the cursor plane" grep -q "cursor plane .* takes at most" <<<"$cursor"
	echo "$cursor"
	alloc=$(HBM_CONFIG_OVERRIDE='device.panel.match.drm_driver="vkms";device.panel.contiguous=true' \
		"$hbm" alloc 1280x720 XRGB8888 --plane vkms:primary --json)
	check "alloc with a no-IOMMU rule comes from CMA" python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["required"]["contiguous"] and d["buffer"]["contiguous"] and d["buffer"]["planes"][0]["stride"]==5120, d' <<<"$alloc"
	echo "$alloc" | head -12
	# Nobody requires contiguous memory here, but the buffer from the CMA heap is: the JSON
	# tells the requirement from what the buffer is.
	reserved=$("$hbm" alloc 64x64 XRGB8888 --allocator dma-heap:reserved --json)
	check "alloc from the CMA heap: not required, but contiguous" python3 -c 'import json,sys; d=json.load(sys.stdin); assert not d["required"]["contiguous"] and d["buffer"]["contiguous"] and d["buffer"]["origin"]=="dma-heap:reserved", d' <<<"$reserved"
	check "and says so in text" bash -c "'$hbm' alloc 64x64 XRGB8888 --allocator dma-heap:reserved | grep -q 'from dma-heap:reserved (physically contiguous)'"
	check "a buffer from the system heap is not" bash -c "'$hbm' alloc 64x64 XRGB8888 --allocator dma-heap:system --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert not d[\"buffer\"][\"contiguous\"], d'"
	check "info lists the vkms planes" bash -c "'$hbm' info | grep -q 'vkms primary plane'"
	# vgem has no KMS planes (and no sysfs driver link): info still names its driver.
	check "info names every DRM device's driver, vgem's too" bash -c "'$hbm' info | grep -qE '^/dev/dri/card[0-9]+ \(vgem\): ' && ! '$hbm' info | grep -qE '^/dev/dri/card[0-9]+ \((\?|driver unknown)\)'"
	check "and so does info --json" bash -c "'$hbm' info --json | python3 -c 'import json,sys; d=json.load(sys.stdin)[\"drm_devices\"]; assert {\"vgem\", \"vkms\"} <= {c[\"driver\"] for c in d}, d'"
	check "info lists the vivid capture queue" bash -c "'$hbm' info --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(q[\"name\"].startswith(\"vivid capture queue\") for v in d[\"v4l2_devices\"] for q in v[\"queues\"])'"
	# Record programs' allocations, then replay them on a region and on an allocator. Every
	# process appends to the one trace, with its own ids: three allocations, one header.
	trace=$PWD/alloc.trace
	rm -f "$trace"
	for size in 1920x1080 1280x720 640x480; do
		HBM_TRACE=$trace "$hbm" alloc $size XRGB8888 >/dev/null || failed=$((failed + 1))
	done
	check "the trace records allocation and release" grep -qE '^f [0-9]+ 1 ' "$trace"
	check "every process's allocation is kept, under one header" bash -c "[ \$(grep -c '^a ' '$trace') = 3 ] && [ \$(grep -c '^hbm-trace' '$trace') = 1 ]"
	replayed=$("$replay" "$trace" --algorithm best-fit --region-size 16M)
	check "replay on a best-fit region" grep -q "replayed 3 allocations on best-fit region of 16 MiB: 0 did not fit" <<<"$replayed"
	echo "$replayed"
	together=$PWD/together.trace
	for i in 1 2 3 4 5 6; do HBM_TRACE=$together "$hbm" alloc 640x480 XRGB8888 >/dev/null & done
	wait
	check "processes tracing at the same time keep every record" bash -c "'$replay' '$together' | grep -q 'replayed 6 allocations'"
	onHeap=$("$replay" "$trace" --allocator dma-heap:system)
	check "replay on a real allocator" grep -q "replayed 3 allocations on dma-heap:system: 0 did not fit" <<<"$onHeap"
else
	check "without dma-bufs the refusal says so" bash -c "'$hbm' plan 64x64 XRGB8888 2>&1 | grep -q 'offers no dma-buf memory'"
fi
echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
