#!/bin/bash
# Runs commands against a real compositor inside the lab guest (as root, under
# tests/lab/run.sh): starts Weston 10 or sway 1.7 on the vkms card the way docs/compositors.md
# and LAB.md describe, waits for its socket with a deadline, runs each command with
# WAYLAND_DISPLAY set and a time limit, then checks that the compositor is still alive and
# its log shows no crash, and stops it.
#
#   session.sh COMPOSITOR[,COMPOSITOR...] [--start-timeout S] [--timeout S] -- COMMAND [ARGS...]
#
# COMPOSITOR is weston or sway; with several, the command runs once per compositor, one after
# the other, in the same boot. The command sees HBM_COMPOSITOR (weston|sway), HBM_VKMS_CARD
# (/dev/dri/cardN), HBM_COMPOSITOR_LOG, HBM_COMPOSITOR_PID and WAYLAND_DISPLAY/XDG_RUNTIME_DIR. Logs go to the
# current directory (the run's share): weston.log, sway.log, seatd.log.
# HBM_WESTON_MODULES adds --modules= to Weston's command line, HBM_WESTON_INI lines to its
# weston.ini. HBM_COMPOSITOR_WRAP prefixes the compositor's command (e.g. "gdb -batch -ex run -ex bt
# --args" to get a backtrace of a crash into the output).
# Exit status: the first failing command's, or 70 when a compositor does not start, dies or
# logs a crash (its log is printed).
set -uo pipefail

compositors=$1
shift
start_timeout=120
timeout=600
while [ $# -gt 0 ]; do
	case "$1" in
	--start-timeout) start_timeout=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "session.sh: unknown option $1" >&2; exit 64 ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: session.sh weston|sway[,..] [--start-timeout S] [--timeout S] -- COMMAND..." >&2; exit 64; }

say() { echo "compositors: $*"; }

source "$(dirname "$0")/vkms-card.sh"

card=$(vkms_card) || { say "no vkms card (debugfs lists: $(cat /sys/kernel/debug/dri/*/name 2>&1 | tr '\n' ' '))"; exit 70; }
export HBM_VKMS_CARD=$card
logdir=$PWD

comp_pid=
seatd_pid=
comp_log=

show_log() {
	echo "----- $comp_log (last 80 lines) -----"
	tail -n 80 "$comp_log" 2>/dev/null
	echo "----- end of $comp_log -----"
}

# Polls for the socket (a compositor start has no event we could wait on from outside
# other than the socket appearing) with a deadline, and gives up early if the process died.
wait_for_socket() {
	local socket=$1 deadline=$(($(date +%s) + start_timeout))
	while [ ! -S "$socket" ]; do
		if ! kill -0 "$comp_pid" 2>/dev/null; then
			say "$HBM_COMPOSITOR exited before creating $socket"
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			say "$HBM_COMPOSITOR did not create $socket within ${start_timeout}s"
			return 1
		fi
		sleep 0.2
	done
}

start_weston() {
	export XDG_RUNTIME_DIR=/run/hbm-weston
	mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
	comp_log=$logdir/weston.log
	: >"$comp_log"
	# Weston's own default, the fade (HBM_WESTON_CLOSE_ANIMATION=none for none). It crashed
	# llvmpipe until the lab stopped llvmpipe's AVX2 gathers, which qemu's TCG mis-executes
	# (run.sh; docs/compositors.md).
	printf '[shell]\nclose-animation=%s\n' "${HBM_WESTON_CLOSE_ANIMATION:-fade}" >"$XDG_RUNTIME_DIR/weston.ini"
	# HBM_WESTON_INI: more weston.ini lines (an [hbm] section); HBM_WESTON_MODULES: --modules=.
	[ -n "${HBM_WESTON_INI:-}" ] && printf '%b\n' "$HBM_WESTON_INI" >>"$XDG_RUNTIME_DIR/weston.ini"
	# kms_swrast: GBM's EGL device is then the vkms card and Weston offers linux-dmabuf v4
	# (LAB.md). --debug lets weston-screenshooter take screenshots.
	MESA_LOADER_DRIVER_OVERRIDE=kms_swrast ${HBM_COMPOSITOR_WRAP:-} weston --backend=drm-backend.so \
		--drm-device="$(basename "$card")" --tty=1 --continue-without-input --idle-time=0 \
		--shell=desktop-shell.so --socket=hbm-weston --debug --log="$comp_log" \
		--config="$XDG_RUNTIME_DIR/weston.ini" ${HBM_WESTON_MODULES:+--modules="$HBM_WESTON_MODULES"} &
	comp_pid=$!
	export WAYLAND_DISPLAY=hbm-weston
	wait_for_socket "$XDG_RUNTIME_DIR/hbm-weston"
}

start_sway() {
	# sway refuses to run as root: seatd as root, sway as nobody (LAB.md).
	chmod 666 /dev/dri/* /dev/dma_heap/* /dev/udmabuf 2>/dev/null
	export XDG_RUNTIME_DIR=/run/hbm-sway
	mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
	chown 65534:65534 "$XDG_RUNTIME_DIR"
	comp_log=$logdir/sway.log
	: >"$comp_log"
	chmod 666 "$comp_log"
	SEATD_VTBOUND=0 seatd -g nogroup >"$logdir/seatd.log" 2>&1 &
	seatd_pid=$!
	local deadline=$(($(date +%s) + 30))
	while [ ! -S /run/seatd.sock ]; do
		kill -0 "$seatd_pid" 2>/dev/null || { say "seatd exited"; cat "$logdir/seatd.log"; return 1; }
		[ "$(date +%s)" -lt "$deadline" ] || { say "seatd did not create /run/seatd.sock"; return 1; }
		sleep 0.1
	done
	local config=$XDG_RUNTIME_DIR/config
	printf 'xwayland disable\ndefault_border none\n' >"$config"
	chown 65534:65534 "$config"
	setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" \
		LIBSEAT_BACKEND=seatd WLR_DRM_DEVICES="$card" WLR_BACKENDS=drm WLR_LIBINPUT_NO_DEVICES=1 \
		WLR_RENDERER=gles2 MESA_LOADER_DRIVER_OVERRIDE=kms_swrast HOME=/tmp \
		sway -d -c "$config" >"$comp_log" 2>&1 &
	comp_pid=$!
	# sway picks the first free wayland-N.
	export WAYLAND_DISPLAY=wayland-1
	wait_for_socket "$XDG_RUNTIME_DIR/wayland-1"
}

# A crash is a dead process or a backtrace/signal line in the log.
compositor_healthy() {
	if ! kill -0 "$comp_pid" 2>/dev/null; then
		say "$HBM_COMPOSITOR is no longer running"
		return 1
	fi
	if grep -nE 'SIGSEGV|Segmentation fault|caught signal|Backtrace|backtrace:|Aborted' "$comp_log"; then
		say "$HBM_COMPOSITOR's log reports a crash"
		return 1
	fi
	return 0
}

# SIGTERM, then SIGKILL after 20 s: a compositor still starting up (sway under TCG) may not
# get to its event loop to handle the first.
stop_process() {
	local pid=$1 deadline=$(($(date +%s) + 20))
	kill "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && { say "pid $pid ignored SIGTERM for 20 s: SIGKILL"; kill -9 "$pid"; }
	wait "$pid" 2>/dev/null
	local rc=$?
	# Killed by a signal of its own making (abort, a fault) while shutting down: a crash.
	case $rc in
	134 | 135 | 136 | 139) say "pid $pid crashed while stopping (status $rc)"; return 1 ;;
	esac
	return 0
}

stop_compositor() {
	local crashed=0
	[ -n "$comp_pid" ] && { stop_process "$comp_pid" || crashed=1; }
	comp_pid=
	[ -n "$seatd_pid" ] && stop_process "$seatd_pid"
	seatd_pid=
	return $crashed
}
trap stop_compositor EXIT

status=0
IFS=, read -ra list <<<"$compositors"
for comp in "${list[@]}"; do
	export HBM_COMPOSITOR=$comp
	started=$(date +%s.%N)
	case "$comp" in
	weston) start_weston ;;
	sway) start_sway ;;
	*) say "unknown compositor '$comp'"; exit 64 ;;
	esac
	if [ $? -ne 0 ]; then
		show_log
		stop_compositor
		status=70
		continue
	fi
	export HBM_COMPOSITOR_LOG=$comp_log HBM_COMPOSITOR_PID=$comp_pid
	say "$comp up on $card, socket $XDG_RUNTIME_DIR/$WAYLAND_DISPLAY after $(echo "$(date +%s.%N) - $started" | bc | cut -c1-5)s"
	timeout --kill-after=5 "$timeout" "$@"
	rc=$?
	[ $rc -eq 0 ] || { say "'$*' failed on $comp with status $rc"; [ $status -ne 0 ] || status=$rc; }
	if ! compositor_healthy; then
		show_log
		status=70
	fi
	if ! stop_compositor; then
		show_log
		status=70
	fi
done
exit $status
