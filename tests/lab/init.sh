#!/bin/busybox sh
# /init of the lab guest. Mounts the host's root (read-only) and the run's share
# (read-write) over 9p, then runs the share's cmd.sh chrooted into the host root, so that
# host-built binaries run unchanged against the guest kernel. Powers off at the end.
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
# The kernel found no /dev/console in the initramfs: attach to it now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys

share=
extra=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	hbm.share=*) share=${arg#hbm.share=} ;;
	hbm.extra=*) extra=${arg#hbm.extra=} ;;
	esac
done

fail() {
	echo "lab-init: $*"
	poweroff -f
}

[ -n "$share" ] || fail "no hbm.share= on the kernel command line"
mkdir -p /host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host || fail "cannot mount the host root"
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t debugfs debugfs /host/sys/kernel/debug
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/shm 2>/dev/null
mount -t tmpfs -o mode=1777 shm /host/dev/shm
mount -t tmpfs -o mode=1777 tmp /host/tmp
mount -t tmpfs -o mode=755 run /host/run
# After the tmpfs mounts, so that neither can hide them.
mkdir -p "/host$share" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share "/host$share" || fail "cannot mount the share at $share"
if [ -n "$extra" ]; then
	mkdir -p "/host$extra"
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostextra "/host$extra" ||
		fail "cannot mount $extra"
fi

chroot /host /bin/bash "$share/cmd.sh"
sync
poweroff -f
