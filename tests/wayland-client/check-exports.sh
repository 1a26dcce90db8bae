#!/usr/bin/env bash
# libhbm-wayland's client side exports exactly the C symbols of hbm-wayland-client.h (the
# list beside this script) and C++ only in hbm::wayland; nothing internal leaks.
set -euo pipefail
lib=$1
c_symbols=$2
exports=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWVBDR]$/ {print $3}' | c++filt)
status=0
if ! diff_out=$(diff <(grep -E '^hbm_wl_client_' <<<"$exports" | sort) <(sort "$c_symbols")); then
	echo "hbm_wl_client_* symbols differ from $c_symbols (< exported, > listed):"
	echo "$diff_out"
	status=1
fi
for internal in 'hbm::wayland::DmabufClient::Private::' 'hbm::test::' 'readFormatTable' 'onFeedbackDone'; do
	if grep -qF "$internal" <<<"$exports"; then
		echo "internal symbol exported: $(grep -F "$internal" <<<"$exports" | head -n 1)"
		status=1
	fi
done
if leaked=$(grep -vE '^(hbm::wayland::|hbm_wl_|typeinfo (name )?for hbm::wayland::|vtable for hbm::wayland::|_init$|_fini$)' <<<"$exports"); then
	echo "symbols outside hbm::wayland and hbm_wl_ exported:"
	echo "$leaked" | head -n 20
	status=1
fi
for public in 'hbm::wayland::DmabufClient::create' 'hbm::wayland::participantsFor' 'hbm::wayland::negotiateForTranches' \
	'hbm::wayland::lookUpDrmDevice'; do
	grep -qF "$public" <<<"$exports" || { echo "public symbol missing: $public"; status=1; }
done
[ "$status" = 0 ] && echo "libhbm-wayland exports $(wc -l <<<"$exports") symbols, all public API"
exit "$status"
