#!/usr/bin/env bash
# What a lab boot costs, per machine: the host's time from run.sh's start to the guest
# command's first line (boot to command start) and to run.sh's exit (a trivial command's
# whole wall time), with the guest kernel's own uptime at command start. Medians of N.
#
#   tests/lab/boot-cost.sh [N] [MACHINE...]      (default: 3 runs of default and iommu)
set -euo pipefail
runs=${1:-3}
shift || true
machines=("$@")
[ ${#machines[@]} -gt 0 ] || machines=(default iommu)
run=$(dirname "$0")/run.sh
"$(dirname "$0")/build-kernel.sh" >/dev/null # a cold kernel build is not a boot

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for machine in "${machines[@]}"; do
	starts=() totals=() uptimes=()
	for _ in $(seq "$runs"); do
		t0=$(date +%s.%N)
		started= uptime=
		while IFS= read -r line; do
			case "$line" in
			hbm-boot-cost*)
				started=$(date +%s.%N)
				uptime=${line#hbm-boot-cost }
				uptime=${uptime%% *}
				;;
			esac
		done < <("$run" --machine "$machine" -- /bin/sh -c 'echo "hbm-boot-cost $(cat /proc/uptime)"' 2>&1)
		t1=$(date +%s.%N)
		[ -n "$started" ] || { echo "boot-cost: the $machine guest printed nothing" >&2; exit 1; }
		starts+=("$(echo "$started - $t0" | bc)")
		totals+=("$(echo "$t1 - $t0" | bc)")
		uptimes+=("$uptime")
	done
	printf '%-8s boot to command start %5.2f s (guest uptime %5.2f s), trivial command total %5.2f s (medians of %d; each: %s)\n' \
		"$machine" "$(printf '%s\n' "${starts[@]}" | median)" "$(printf '%s\n' "${uptimes[@]}" | median)" \
		"$(printf '%s\n' "${totals[@]}" | median)" "$runs" "${totals[*]}"
done
