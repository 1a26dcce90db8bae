#!/usr/bin/env bash
# One check for every hbm library built with hidden visibility (libhbm, libhbm-wayland,
# libhbm-egl): its C ABI is exactly a listed set, nothing is exported outside its C prefix
# and C++ namespace, no internal name leaks, and the public entry points are there.
#
#   check-exports.sh LIB --c-list RE FILE [--c-list RE FILE…] --allow-c RE --namespace NS
#                    [--seam NS VERSION] [--internal STRING…] [--public STRING…]
#
# --seam: the library's private seam (libhbm: namespace hbm_seam, version node HBM_SEAM_0):
# every symbol of that namespace must carry that version and no other symbol may; the
# seam is then left out of every other check, which speak of the public API alone.
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
seam_ns=
seam_version=
mode=
while [ $# -gt 0 ]; do
	case "$1" in
	--c-list) lists+=("$2" "$3"); shift 3 ;;
	--allow-c) allow_c=$2; shift 2 ;;
	--namespace) namespace=$2; shift 2 ;;
	--seam) seam_ns=$2; seam_version=$3; shift 3 ;;
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

# One line per symbol: its demangled name, a tab, its version node (empty if unversioned).
versioned=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWVBDR]$/ {n = $3; v = ""; i = index(n, "@");
	if (i) { v = substr(n, i); sub(/^@+/, "", v); n = substr(n, 1, i - 1) } print n "\t" v}' | c++filt)
name=$(basename "$lib")
status=0
if [ -n "$seam_ns" ]; then
	seam=$(grep -F -- "$seam_ns" <<<"$versioned" | grep -v "^$" || true)
	if [ -z "$seam" ]; then
		echo "$name: no symbol of the seam $seam_ns is exported"
		status=1
	elif wrong=$(awk -F'\t' -v v="$seam_version" '$2 != v' <<<"$seam") && [ -n "$wrong" ]; then
		echo "$name: seam symbols outside version $seam_version:"
		echo "$wrong" | head -n 10
		status=1
	fi
	if stray=$(grep -vF -- "$seam_ns" <<<"$versioned" | awk -F'\t' -v v="$seam_version" '$2 == v') && [ -n "$stray" ]; then
		echo "$name: symbols outside $seam_ns in the private version $seam_version:"
		echo "$stray" | head -n 10
		status=1
	fi
	echo "$name: $(grep -c . <<<"$seam") symbols in the private seam $seam_ns (version $seam_version), not public API"
	versioned=$(grep -vF -- "$seam_ns" <<<"$versioned" || true)
fi
exports=$(cut -f1 <<<"$versioned")
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
