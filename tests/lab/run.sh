#!/usr/bin/env bash
# Runs one host-built command as root inside the lab guest (the project's kernel under
# qemu/TCG) and exits with the command's status. Its output streams to stdout.
#
#   run.sh [--timeout SECONDS] [--collect DIR] [--machine default|iommu] [--] COMMAND [ARGS...]
#
# The command starts in a fresh run directory shared read-write with the host (its files
# are copied to DIR with --collect). HBM_*, GTEST_* and the sanitizers' *SAN_OPTIONS are passed through;
# HBM_LAB=1 tells tests that a missing device is a failure, not a skip.
# HBM_LAB_KERNEL_ARGS adds to the guest's kernel command line (e.g. drm.debug=0x14).
# A guest that reports no status (kernel panic, hang, qemu failure) is a failure.
#
# Machines (--machine, or HBM_LAB_MACHINE):
#   default  the pc machine: vkms and vgem (kernel), a cirrus-vga (qemu id "cirrus").
#   iommu    q35 with an emulated Intel IOMMU and behind it a cirrus-vga (id "cirrus") and a
#            virtio-gpu-pci (id "virtio"): both get /sys/class/drm/cardN/device/iommu_group;
#            vkms, vgem and the V4L2 test drivers (platform devices) get none.
# Screendumps: qemu's QMP socket lives in a host-only directory; tests/lab/screendump-service.py
# answers the guest's requests, left in $HBM_LAB_SCREENDUMP_DIR (a directory of the share),
# with qemu's `screendump` of a display device (tests/rig/screendump.cpp is the guest side).
set -euo pipefail
source "$(dirname "$0")/lab-env.sh"

timeout=${HBM_LAB_TIMEOUT:-600}
collect=
machine=${HBM_LAB_MACHINE:-default}
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout=$2; shift 2 ;;
	--collect) collect=$2; shift 2 ;;
	--machine) machine=$2; shift 2 ;;
	--) shift; break ;;
	-*) lab_die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || lab_die "usage: run.sh [--timeout S] [--collect DIR] [--machine default|iommu] [--] COMMAND [ARGS...]"
case "$machine" in
default)
	machine_args=(-vga none -device cirrus-vga,id=cirrus)
	;;
iommu)
	# The IOMMU comes first: qemu wants it created before the PCI devices it translates.
	# intremap=off: interrupt remapping would need a split irqchip (KVM only).
	machine_args=(-M q35 -device intel-iommu,intremap=off -vga none -device cirrus-vga,id=cirrus
		-device virtio-gpu-pci,iommu_platform=on,disable-legacy=on,id=virtio)
	;;
*) lab_die "unknown machine '$machine' (default, iommu)" ;;
esac
command -v qemu-system-x86_64 >/dev/null || lab_die "qemu-system-x86_64 is missing: apt-get install qemu-system-x86"

kernel=$("$HBM_LAB_DIR/build-kernel.sh")
initramfs=$("$HBM_LAB_DIR/build-initramfs.sh")

# The share must not live under /tmp: the guest mounts a fresh tmpfs there.
mkdir -p "$HBM_LAB_CACHE/runs"
share=$(mktemp -d "$HBM_LAB_CACHE/runs/run.XXXXXX")
# qemu's QMP socket: host-only (the guest sees neither the host's /tmp nor this directory),
# and short, for the 108-byte limit of a socket path.
monitor_dir=$(mktemp -d /tmp/hbm-lab-qmp.XXXXXX)
service_pid=
cleanup() {
	if [ -n "$service_pid" ]; then
		kill "$service_pid" 2>/dev/null || true
		wait "$service_pid" 2>/dev/null || true
	fi
	rm -rf "$share" "$monitor_dir"
}
trap cleanup EXIT
case "$share" in *[[:space:]]*) lab_die "run directory '$share' contains white space" ;; esac

# Resolve the command on the host, where PATH and relative paths mean what the caller meant.
cmd=$1
shift
if [[ "$cmd" != */* ]]; then
	cmd=$(command -v "$cmd") || lab_die "command '$1' not found"
fi
cmd=$(realpath "$cmd")

# meson's gtest protocol asks for an XML report at a host path the read-only guest root
# cannot take: write it to the share and copy it back afterwards.
args=()
gtest_xml=
for arg in "$@"; do
	case "$arg" in
	--gtest_output=xml:*)
		gtest_xml=${arg#--gtest_output=xml:}
		args+=("--gtest_output=xml:$share/gtest-report.xml")
		;;
	*)
		# A relative path that exists here means that file: the guest starts elsewhere.
		if [[ "$arg" != /* && "$arg" != -* && -e "$arg" ]]; then
			args+=("$(realpath "$arg")")
		else
			args+=("$arg")
		fi
		;;
	esac
done

{
	echo '#!/bin/bash'
	echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	echo 'export HOME=/root LANG=C.UTF-8 HBM_LAB=1'
	# qemu 7.2's TCG reads wrong offsets for an AVX2 gather indexed by ymm4, and llvmpipe's
	# texture fetch is such a gather: every textured draw may fault (tests/lab/gather_check.c
	# shows it; run by tinywl-check.sh). llvmpipe without AVX2 gathers nothing that way.
	echo 'export GALLIUM_OVERRIDE_CPU_CAPS=sse4.1'
	# Named explicitly: the host's own HBM_LAB_* settings are not the guest's business.
	printf 'export HBM_LAB_SCREENDUMP_DIR=%q HBM_LAB_MACHINE=%q\n' "$share/screendump" "$machine"
	while IFS='=' read -r name _; do
		printf 'export %s=%q\n' "$name" "${!name}"
	done < <(env | grep -E '^(HBM_|GTEST_|ASAN_|UBSAN_|LSAN_|TSAN_)[A-Za-z0-9_]*=' | grep -vE '^HBM_LAB(=|_)')
	printf 'cd %q || exit 125\n' "$share"
	printf '%q ' "$cmd" "${args[@]+"${args[@]}"}"
	echo '2>&1 | tee output.log'
	echo 'echo "${PIPESTATUS[0]}" > status'
} >"$share/cmd.sh"

# The guest mounts fresh tmpfs on /tmp and /run; a command living there (a CI clone in
# /tmp, say) gets its top directory exported read-only and mounted over the tmpfs.
extra=()
extra_dir=
case "$cmd" in
/tmp/*/* | /run/*/*)
	extra_dir=$(cut -d/ -f1-3 <<<"$cmd")
	case "$extra_dir" in *[[:space:]]*) lab_die "'$extra_dir' contains white space" ;; esac
	extra=(-virtfs "local,path=$extra_dir,mount_tag=hostextra,security_model=none,readonly=on,multidevs=remap")
	;;
esac

cmdline="console=ttyS0 quiet loglevel=3 panic=-1 cma=64M"
cmdline+=" vkms.enable_writeback=1 vkms.enable_overlay=1 vkms.enable_cursor=1"
cmdline+=" rdinit=/init hbm.share=$share${extra_dir:+ hbm.extra=$extra_dir} ${HBM_LAB_KERNEL_ARGS:-}"

# The screendump service, started before qemu so that it is ready before the guest runs
# anything; it connects to the socket at the first request.
mkdir "$share/screendump"
python3 "$HBM_LAB_DIR/screendump-service.py" --qmp "$monitor_dir/qmp.sock" --dir "$share/screendump" &
service_pid=$!

echo "lab: running $(basename "$cmd") in the $machine guest (timeout ${timeout}s)"
start=$(date +%s)
set +e
timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 1024 "${machine_args[@]}" \
	-display none -nic none -serial stdio -monitor none -no-reboot \
	-qmp "unix:$monitor_dir/qmp.sock,server=on,wait=off" \
	-kernel "$kernel" -initrd "$initramfs" -append "$cmdline" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$share,mount_tag=share,security_model=none,multidevs=remap" \
	"${extra[@]+"${extra[@]}"}" \
	</dev/null
qemu_status=$?
set -e
elapsed=$(($(date +%s) - start))

if [ -n "$collect" ]; then
	mkdir -p "$collect"
	find "$share" -maxdepth 1 -type f ! -name cmd.sh ! -name status -exec cp -t "$collect" {} +
fi

if [ -n "$gtest_xml" ] && [ -s "$share/gtest-report.xml" ]; then
	cp "$share/gtest-report.xml" "$gtest_xml"
fi

if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
	lab_die "the guest did not finish within ${timeout}s (qemu killed); output above"
fi
if [ ! -s "$share/status" ]; then
	lab_die "the guest reported no exit status after ${elapsed}s (qemu exit $qemu_status: kernel panic or failed boot?); output above"
fi
status=$(cat "$share/status")
echo "lab: $(basename "$cmd") exited with status $status in the guest after ${elapsed}s"
exit "$status"
