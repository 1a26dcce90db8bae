#!/usr/bin/env bash
# One check for every hbm library built with hidden visibility (libhbm, libhbm-wayland,
# libhbm-egl): its C ABI is exactly a listed set, nothing is exported outside its C prefix
# and C++ namespace, no internal name leaks, and the public entry points are there.
#
#   check-exports.sh LIB --c-list RE FILE [--c-list RE FILE…] --allow-c RE --namespace NS
#                    [--internal STRING…] [--public STRING…]
#
# --c-list: the exported names matching RE are exactly FILE's (a change is deliberate).
# --allow-c: C names the library may export (RE); --namespace: its C++ namespace ("hbm",
# "hbm::egl"). --internal names must not appear; --public names must.
set -euo pipefail
lib=$1
shift
lists=()
allow_c=
namespace=
internal=()
public=()
mode=
while [ $# -gt 0 ]; do
	case "$1" in
	--c-list) lists+=("$2" "$3"); shift 3 ;;
	--allow-c) allow_c=$2; shift 2 ;;
	--namespace) namespace=$2; shift 2 ;;
	--internal) mode=internal; shift ;;
	--public) mode=public; shift ;;
	*)
		case "$mode" in
		internal) internal+=("$1") ;;
		public) public+=("$1") ;;
		*) echo "check-exports.sh: unexpected argument $1" >&2; exit 2 ;;
		esac
		shift ;;
	esac
done
[ -n "$allow_c" ] && [ -n "$namespace" ] && [ ${#lists[@]} -gt 0 ] || { echo "check-exports.sh: LIB --c-list RE FILE --allow-c RE --namespace NS needed" >&2; exit 2; }

exports=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWVBDR]$/ {print $3}' | c++filt)
name=$(basename "$lib")
status=0
for ((i = 0; i < ${#lists[@]}; i += 2)); do
	re=${lists[i]}
	file=${lists[i + 1]}
	if ! diff_out=$(diff <(grep -E "^($re)" <<<"$exports" | sort) <(sort "$file")); then
		echo "$name: C symbols matching $re differ from $file (< exported, > listed):"
		echo "$diff_out"
		status=1
	fi
done
ns=${namespace//./\\.}
if leaked=$(grep -vE "^\$|^($allow_c|$ns::|typeinfo (name )?for $ns::|vtable for $ns::|_init\$|_fini\$)" <<<"$exports"); then
	echo "$name: symbols outside $allow_c and $namespace:: exported:"
	echo "$leaked" | head -n 20
	status=1
fi
for s in ${internal[@]+"${internal[@]}"}; do
	if grep -qF "$s" <<<"$exports"; then
		echo "$name: internal symbol exported: $(grep -F "$s" <<<"$exports" | head -n 1)"
		status=1
	fi
done
for s in ${public[@]+"${public[@]}"}; do
	grep -qF "$s" <<<"$exports" || { echo "$name: public symbol missing: $s"; status=1; }
done
[ "$status" = 0 ] && echo "$name exports $(wc -l <<<"$exports") symbols, all public API"
exit "$status"
