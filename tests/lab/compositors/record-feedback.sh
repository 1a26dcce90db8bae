#!/bin/bash
# Records the linux-dmabuf feedback the running compositor sends, as
# weston-simple-dmabuf-feedback prints it, into $HBM_COMPOSITOR-feedback.txt of the current
# directory. Waits (with a deadline) until the client has printed the whole default feedback,
# then stops it. Run under session.sh.
set -uo pipefail
out=$PWD/$HBM_COMPOSITOR-feedback.txt
weston-simple-dmabuf-feedback >"$out" 2>&1 &
pid=$!
deadline=$(($(date +%s) + ${1:-90}))
# The default feedback ends with "end of dma-buf feedback"; a per-surface feedback (sway
# sends one with a scanout tranche once the window is mapped) may follow: wait for the
# first, then up to 20 s for the second.
feedbacks() { grep -c 'end of dma-buf feedback' "$out" 2>/dev/null; }
status=1
while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
	if [ "$(feedbacks)" -ge 1 ]; then
		status=0
		break
	fi
	sleep 0.2
done
if [ $status -eq 0 ]; then
	deadline=$(($(date +%s) + 20))
	while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] && [ "$(feedbacks)" -lt 2 ]; do
		sleep 0.2
	done
fi
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
cat "$out"
exit $status
