#!/usr/bin/env bash
# "A context given its devices opens nothing else" (README), watched where a user would
# watch it: strace on a C compositor's path (tests/abi/c_embedded_opens.c) on the real
# kernel. Between the program's two marker opens, no device node (/dev/…) and no hbm
# configuration file may be opened: not /dev/dma_heap/system for the foreign-import probe,
# not another DRM node, not /etc/hbm. Libraries Mesa's GBM loads for the caller's device
# (its driver .so, drirc files) are the device's own and are listed, not refused; a
# directory listing (libdrm reads /dev/dri to name the caller's node) opens no device.
#
#   embedded_opens.sh PROGRAM
set -uo pipefail
program=$1
log=$(mktemp -d)/opens.log

command -v strace >/dev/null || { echo "FAIL: strace is missing (scripts/install-deps.sh installs it)"; exit 1; }
# LeakSanitizer cannot run under ptrace (it stops the program at exit): this test watches
# opens, and leaks are every other test's business under AddressSanitizer.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
strace -f -qq -e trace=open,openat,openat2 -o "$log" "$program"
rc=$?
if [ "$rc" = 77 ]; then
	echo "skipped by the program"
	[ -n "${HBM_LAB:-}" ] && exit 1
	exit 77
fi
[ "$rc" = 0 ] || { echo "FAIL: $program exited $rc"; exit 1; }

between=$(awk '/nonexistent-hbm-marker\/begin/ {on = 1; next} /nonexistent-hbm-marker\/end/ {on = 0} on' "$log")
grep -q 'nonexistent-hbm-marker/begin' "$log" && grep -q 'nonexistent-hbm-marker/end' "$log" ||
	{ echo "FAIL: the markers are not in the trace ($log)"; exit 1; }
opens=$(echo "$between" | grep -c 'open' || true)
forbidden=$(echo "$between" | grep -v O_DIRECTORY | grep -E '"/dev/|hbm\.toml|/etc/hbm|\.config/hbm' || true)
echo "opens between the markers: $opens"
echo "$between" | grep -o '"[^"]*"' | sort | uniq -c | sort -rn | head -n 20
if [ -n "$forbidden" ]; then
	echo "FAIL: opened without being asked:"
	echo "$forbidden"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
