#!/usr/bin/env bash
# What each hbm library links directly (its DT_NEEDED entries): a Wayland client links no
# wayland-server, a compositor no wayland-client, and a camera or video program using
# libhbm alone links neither Wayland nor EGL.
#
#   check-needed.sh LIB FORBIDDEN-RE [LIB FORBIDDEN-RE …]
set -euo pipefail
status=0
while [ $# -ge 2 ]; do
	lib=$1 forbidden=$2
	shift 2
	needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	if bad=$(grep -E "$forbidden" <<<"$needed"); then
		echo "$(basename "$lib") links what its users must not need: $bad"
		status=1
	else
		echo "$(basename "$lib") links: $(tr '\n' ' ' <<<"$needed")"
	fi
done
[ "$status" = 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit "$status"
