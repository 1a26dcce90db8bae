#!/usr/bin/env bash
# libhbm-wayland's compositor side: its C symbols (hbm_wl_compositor_*, hbm_wl_server_*) are
# exactly the list given, and the library exports nothing outside hbm_wl_* and
# hbm::wayland:: (the client side's own list is checked by its tests).
set -euo pipefail
lib=$1
symbols=$2
exports=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWVBDR]$/ {print $3}' | c++filt)
status=0
if ! diff_out=$(diff <(grep -E '^hbm_wl_(compositor|server)_' <<<"$exports" | sort) <(sort "$symbols")); then
	echo "compositor C symbols differ from $symbols (< exported, > listed):"
	echo "$diff_out"
	status=1
fi
if leaked=$(grep -vE '^(hbm_wl_|hbm::wayland::|typeinfo (name )?for hbm::wayland::|vtable for hbm::wayland::|_init$|_fini$)' <<<"$exports"); then
	echo "symbols outside hbm_wl_* and hbm::wayland:: exported:"
	echo "$leaked" | head -n 20
	status=1
fi
for public in 'hbm::wayland::LinuxDmabuf::create' 'hbm::wayland::Feedback::fromParticipants'; do
	grep -qF "$public" <<<"$exports" || { echo "public symbol missing: $public"; status=1; }
done
[ "$status" = 0 ] && echo "libhbm-wayland exports $(grep -cE '^hbm_wl_(compositor|server)_' <<<"$exports") compositor C symbols, as listed"
exit "$status"
