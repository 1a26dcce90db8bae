#!/usr/bin/env bash
# libhbm-egl.so exports its C ABI exactly as listed and, besides, only hbm::egl's C++ API:
# no helper of hbm::egl::detail, nothing of libhbm's, nothing outside namespace hbm.
set -euo pipefail
lib=$1
c_symbols=$2
exports=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWVBDR]$/ {print $3}' | c++filt)

status=0
if ! diff_out=$(diff <(grep -E '^hbm_' <<<"$exports" | sort) <(sort "$c_symbols")); then
	echo "C symbols differ from $c_symbols (< exported, > listed):"
	echo "$diff_out"
	status=1
fi
if leaked=$(grep -vE '^$|^(hbm_egl_|hbm::egl::|typeinfo (name )?for hbm::egl::|vtable for hbm::egl::|_init$|_fini$)' <<<"$exports"); then
	echo "symbols outside hbm_egl_ and hbm::egl exported:"
	echo "$leaked" | head -n 20
	status=1
fi
if grep -qF 'hbm::egl::detail::' <<<"$exports"; then
	echo "internal symbol exported: $(grep -F 'hbm::egl::detail::' <<<"$exports" | head -n 1)"
	status=1
fi
for public in 'hbm::egl::importBuffer' 'hbm::egl::exportImage' 'hbm::egl::displayParticipant' \
	'hbm::egl::queryDisplay' 'hbm::egl::errorName' 'hbm::egl::Image::reset'; do
	grep -qF "$public" <<<"$exports" || { echo "public symbol missing: $public"; status=1; }
done
[ "$status" = 0 ] && echo "libhbm-egl exports $(wc -l <<<"$exports") symbols, all public API"
exit "$status"
