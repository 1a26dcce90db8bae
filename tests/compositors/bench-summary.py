#!/usr/bin/env python3
"""Medians of the frame-rate runs check.sh --bench made (COMP-bench-{dmabuf,shm}-N.log),
their ratio, and the per-frame creation counts after warm-up. Fails when a run has no
numbers or when the dma-buf client made a wl_buffer, a dma-buf or an fd after warm-up.

    bench-summary.py COMPOSITOR RUNS
"""
import re
import statistics
import sys

comp, runs = sys.argv[1], int(sys.argv[2])
fps = {"dmabuf": [], "shm": []}
bad = []
for kind in fps:
    for run in range(1, runs + 1):
        text = open(f"{comp}-bench-{kind}-{run}.log", errors="replace").read()
        m = re.search(r"frames: (\d+) after \d+ warm-up in [\d.]+ s: ([\d.]+) fps", text)
        c = re.search(r"after warm-up: wl_buffers created (\d+), dma-bufs created (\d+), fds opened (-?\d+) over (\d+)", text)
        if not m or not c:
            bad.append(f"{kind} run {run}: no numbers")
            continue
        fps[kind].append(float(m.group(2)))
        created = [int(c.group(i)) for i in (1, 2, 3)]
        if any(created):
            bad.append(f"{kind} run {run}: after warm-up wl_buffers {created[0]}, dma-bufs {created[1]}, fds {created[2]}")
for kind, values in fps.items():
    if values:
        print(f"bench {comp} {kind}: median {statistics.median(values):.2f} fps of {values}")
if fps["dmabuf"] and fps["shm"]:
    print(f"bench {comp}: dma-buf/shm = {statistics.median(fps['dmabuf']) / statistics.median(fps['shm']):.3f}")
for b in bad:
    print("bench problem:", b)
sys.exit(1 if bad else 0)
