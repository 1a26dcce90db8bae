#!/usr/bin/env python3
"""Reads Google Benchmark JSON and prints the ratios hbm promises as a Markdown table.
Each comparison runs hbm and its baseline alternately inside one benchmark (see
sideBySide() in hbm_benchmarks.cpp); the table shows the median over repetitions."""
import json
import sys

med = {}
for path in sys.argv[1:]:
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            med[b["run_name"]] = b
rows = []


def pair(what, name, target, ok, key="ratio"):
    b = med.get(name)
    if not b or key not in b:
        rows.append((what, "not run", target, "-"))
        return
    r = b[key]
    rows.append((what, f"{r:.3f} ({b['hbm_ns'] / 1000:.1f} vs {b['baseline_ns'] / 1000:.1f} us)", target,
                 "yes" if ok(r) else "no"))


for size, label in ((4096, "4 KiB"), (1 << 20, "1 MiB"), (8 << 20, "8 MiB")):
    pair(f"allocate, hbm / raw DMA_HEAP_IOCTL_ALLOC, {label}",
         f"BM_AllocateVsRawHeapIoctl/bytes:{size}/dup_export:0", "<= 1.05", lambda r: r <= 1.05)
for size, label in ((4096, "4 KiB"), (1 << 20, "1 MiB"), (8 << 20, "8 MiB")):
    pair(f"allocate + dup'd export, hbm / raw ioctl + dup, {label}",
         f"BM_AllocateVsRawHeapIoctl/bytes:{size}/dup_export:1", "<= 1.05", lambda r: r <= 1.05)
# The whole sweep, one compact row per variant (benchmarks/plot.py draws it: ratios.svg).
sweep = (4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20, 32 << 20)
for dup, what in ((0, "allocate"), (1, "allocate + dup'd export")):
    got = []
    for size in sweep:
        b = med.get(f"BM_AllocateVsRawHeapIoctl/bytes:{size}/dup_export:{dup}", {})
        if "ratio" in b:
            got.append((f"{size >> 20}M" if size >= 1 << 20 else f"{size >> 10}K", b["ratio"]))
    if got:
        text = ", ".join(f"{label} {r:.3f}" for label, r in got)
        rows.append((f"{what}, hbm / raw ioctl, 4 KiB to 32 MiB (ratios.svg)", text, "<= 1.05",
                     f"{sum(r <= 1.05 for _, r in got)} of {len(got)} sizes"))
pair("1080p on vkms, hbm gbm:vkms / Mesa gbm_bo_create + gbm_bo_get_fd", "BM_VkmsAllocateVsMesaGbm/hbm_gbm:1",
     "<= 1.05", lambda r: r <= 1.05)
pair("1080p on vkms, hbm dumb:vkms / Mesa gbm_bo_create + gbm_bo_get_fd", "BM_VkmsAllocateVsMesaGbm/hbm_gbm:0",
     "<= 1.05", lambda r: r <= 1.05)
b = med.get("BM_SyncSteadyWriteLoop")
if b:
    s, e = b.get("sync_starts_per_switch", -1), b.get("sync_ends_per_switch", -1)
    rows.append(("SYNC ioctls per CPU-domain entry, 3 nested accesses inside", f"{s:.2f} start, {e:.2f} end",
                 "1 start, 1 end", "yes" if s == 1 and e == 1 else "no"))
b = med.get("BM_WriteMappedBufferVsMalloc")
if b:
    r = b["bandwidth_ratio"]
    rows.append(("CPU write bandwidth, mapped dma-heap buffer / malloc",
                 f"{r:.3f} ({b['mapped_GiBps']:.2f} vs {b['malloc_GiBps']:.2f} GiB/s)", ">= 0.9",
                 "yes" if r >= 0.9 else "no"))
pair("share round trip, hbm / bare SCM_RIGHTS", "BM_ShareVsBareScmRights", "<= 1.25", lambda r: r <= 1.25)

print("| measure | median (hbm vs baseline) | target | met |")
print("| --- | --- | --- | --- |")
for r in rows:
    print("| " + " | ".join(r) + " |")

# Negotiation, pools and regions (issue 4).
rows = []
b = med.get("BM_NegotiateThreeParticipants")
if b:
    us = b["real_time"] / 1000 if b["time_unit"] == "ns" else b["real_time"]
    rows.append(("negotiate: 3 participants (plane, camera, no-IOMMU panel), native", f"{us:.1f} us", "< 10 us",
                 "yes" if us < 10 else "no"))
curve = []
for n in (1, 2, 4, 8, 16):
    b = med.get(f"BM_NegotiateManyParticipants/{n}")
    if b:
        curve.append((n, b["real_time"] / 1e6 if b["time_unit"] == "ns" else b["real_time"] / 1e3))
if curve:
    text = ", ".join(f"{n}: {ms:.3f} ms" for n, ms in curve)
    last = curve[-1][1]
    rows.append(("negotiate: N participants x 200 formats x 30 modifiers, native", text, "16 < 1 ms, linear",
                 "yes" if curve[-1][0] == 16 and last < 1 else "no"))
for fmt, arg in (("XRGB8888", 0), ("NV12", 1)):
    b = med.get(f"BM_PoolVsFreshAllocation/nv12:{arg}")
    if b and b.get("ratio"):
        speedup = 1 / b["ratio"]
        rows.append((f"pool reuse vs fresh allocation, 1080p {fmt} (lab)",
                     f"{speedup:.0f}x faster ({b['hbm_ns'] / 1000:.1f} vs {b['baseline_ns'] / 1000:.1f} us)", ">= 50x",
                     "yes" if speedup >= 50 else "no"))
for size in (128, 192):
    for best, name in ((1, "best-fit"), (0, "first-fit")):
        b = med.get(f"BM_RegionReplay/best_fit:{best}/region_mib:{size}/iterations:3")
        if b:
            rows.append((f"region {name}, {size} MiB, 20000-op video trace, native",
                         f"{b['allocate_ns']:.0f} ns/alloc, {b['release_ns']:.0f} ns/release; largest free "
                         f"{b['largest_free_share_end'] * 100:.1f}% of free at end "
                         f"({b['largest_free_share_mean'] * 100:.1f}% averaged over the run), {b['failures']:.0f} failed",
                         "< 1 us; >= 90%" if best else "(comparison)",
                         ("yes" if b['allocate_ns'] < 1000 and b['largest_free_share_end'] >= 0.9 else "no") if best else "-"))
for best, name in ((1, "best-fit"), (0, "first-fit")):
    b = med.get(f"BM_RegionReplaySeeds/best_fit:{best}/region_mib:128/iterations:1")
    if b:
        rows.append((f"region {name}, 128 MiB, the trace with seeds 1-20, native",
                     f"largest free {b['largest_free_share_mean'] * 100:.1f}% of free averaged over every operation, "
                     f"{b['largest_free_share_end'] * 100:.1f}% at the end; {b['failures']:.0f} failed",
                     ">= 90%" if best else "(comparison)",
                     ("yes" if b['largest_free_share_mean'] >= 0.9 else "no") if best else "-"))
if rows:
    print()
    print("| measure | result | target | met |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(r) + " |")
