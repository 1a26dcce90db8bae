#!/usr/bin/env bash
# The layers, as includes (docs/architecture.md, "Layers"): src/base/ includes nothing of the
# core, only base/ and the private seam; each allocator under backends/<name>/ includes only
# base/, the allocator seam (backends/allocator.hpp, and its shared helpers in backends/) and
# its own folder. backends/allocator.cpp is that seam's implementation: it asks the core's
# one check (constraint_check.hpp) and lays images out with the core's linear layout
# (layout_private.hpp), and is the one file of backends/ that may.
#
#   check-includes.sh SOURCE_ROOT
set -euo pipefail
cd "$1"
status=0
refuse() { echo "$1 includes $2: $3"; status=1; }
for f in src/base/*; do
	while read -r inc; do
		case "$inc" in base/* | seam/*) ;; *) refuse "$f" "\"$inc\"" "base/ may include only base/ and seam/" ;; esac
	done < <(sed -n 's/^#include "\(.*\)"/\1/p' "$f")
done
for f in backends/*/*; do
	dir=$(dirname "$f")
	while read -r inc; do
		case "$inc" in
		base/* | backends/*) ;;
		*) [ -e "$dir/$inc" ] || refuse "$f" "\"$inc\"" "an allocator includes only base/, backends/ and its own folder" ;;
		esac
	done < <(sed -n 's/^#include "\(.*\)"/\1/p' "$f")
done
files=$(ls src/base/* backends/*/* | wc -l)
[ "$status" = 0 ] && echo "$files files keep their layer's includes" && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit "$status"
