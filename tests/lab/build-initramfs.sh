#!/usr/bin/env bash
# Builds (once) the lab initramfs: a static busybox and init.sh. Prints its path.
set -euo pipefail
source "$(dirname "$0")/lab-env.sh"

busybox=${HBM_LAB_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || lab_die "$busybox is missing: apt-get install busybox-static"
if ldd "$busybox" >/dev/null 2>&1; then
	lab_die "$busybox is dynamically linked; the guest has no libc of its own: apt-get install busybox-static"
fi

key=$(cat "$HBM_LAB_DIR/init.sh" "$HBM_LAB_DIR/build-initramfs.sh" "$busybox" | sha256sum | cut -c1-16)
out="$HBM_LAB_CACHE/initramfs-$key.cpio.gz"
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$HBM_LAB_CACHE"
root=$(mktemp -d "$HBM_LAB_CACHE/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,host}
cp "$busybox" "$root/bin/busybox"
cp "$HBM_LAB_DIR/init.sh" "$root/init"
chmod 755 "$root/init" "$root/bin/busybox"
(cd "$root" && find . | cpio --quiet -o -H newc --owner=0:0 | gzip -9) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
