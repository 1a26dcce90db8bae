#!/usr/bin/env bash
# libhbm.so is built with hidden visibility: only HBM_EXPORT names may be exported.
# Fails if an internal name leaks out, or if a public entry point is missing.
set -euo pipefail
lib=$1
c_symbols=$2
exports=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWVBDR]$/ {print $3}' | c++filt)

status=0
# Internal namespaces and helpers that must stay inside the library, and the test rig
# (tests/support: modesetting, writeback, GEM handle counts, patterns, trace replay),
# which is not in it.
for internal in 'hbm::dma_heap::' 'hbm::GemHandleTable' 'hbm::makeError' 'hbm::stringf' \
	'hbm::LogCategory' 'hbm::dmaBufSync' 'hbm::Mapping' 'hbm::KmsDevice::Private::' \
	'hbm::test::' 'showOnPrimary' 'captureWriteback' 'writebackFormats' 'gemHandleCount' \
	'TestPattern' 'replayOn'; do
	if grep -qF "$internal" <<<"$exports"; then
		echo "internal symbol exported: $(grep -F "$internal" <<<"$exports" | head -n 1)"
		status=1
	fi
done
# The C ABI is exactly the list in tests/abi/libhbm-c.symbols: a change to it is deliberate.
if ! diff_out=$(diff <(grep -E '^hbm_' <<<"$exports" | sort) <(sort "$c_symbols")); then
	echo "C symbols differ from $c_symbols (< exported, > listed):"
	echo "$diff_out"
	status=1
fi
# Anything else outside namespace hbm (and our typeinfo/vtables) leaks.
if leaked=$(grep -vE '^(hbm::|hbm_|typeinfo (name )?for hbm::|vtable for hbm::|_init$|_fini$)' <<<"$exports"); then
	echo "symbols outside namespace hbm exported:"
	echo "$leaked" | head -n 20
	status=1
fi
for public in 'hbm::listHeaps()' 'hbm::Context::allocate' 'hbm::KmsDevice::openByDriver' \
	'hbm::linearLayout' 'hbm::FormatSet::intersect' 'hbm::Buffer::import' 'hbm::sendBuffer' 'hbm::receiveBuffer' 'hbm::allocatorKindName' 'hbm::negotiate' 'hbm::parseConfig' 'hbm::Context::describe' 'hbm::findFormatByName' 'hbm::Error::toString'; do
	grep -qF "$public" <<<"$exports" || { echo "public symbol missing: $public"; status=1; }
done
[ "$status" = 0 ] && echo "libhbm exports $(wc -l <<<"$exports") symbols, all public API"
exit "$status"
