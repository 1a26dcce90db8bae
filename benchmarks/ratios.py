#!/usr/bin/env python3
"""Reads Google Benchmark JSON and prints the ratios hbm promises as a Markdown table.
Each comparison runs hbm and its baseline alternately inside one benchmark (see
sideBySide() in hbm_benchmarks.cpp); the table shows the median over repetitions."""
import json
import sys

data = json.load(open(sys.argv[1]))
med = {b["run_name"]: b for b in data["benchmarks"] if b.get("aggregate_name") == "median"}
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
    pair(f"allocate + dup'd export, hbm / raw ioctl, {label}",
         f"BM_AllocateVsRawHeapIoctl/bytes:{size}/dup_export:1", "<= 1.05", lambda r: r <= 1.05)
pair("1080p on vkms, hbm gbm:vkms / Mesa gbm_bo_create + gbm_bo_get_fd", "BM_VkmsAllocateVsMesaGbm/hbm_gbm:1",
     "<= 1.0", lambda r: r <= 1.0)
pair("1080p on vkms, hbm dumb:vkms / Mesa gbm_bo_create + gbm_bo_get_fd", "BM_VkmsAllocateVsMesaGbm/hbm_gbm:0",
     "<= 1.0", lambda r: r <= 1.0)
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
pair("share round trip, hbm / bare SCM_RIGHTS", "BM_ShareVsBareScmRights", "< 2", lambda r: r < 2)

print("| measure | median (hbm vs baseline) | target | met |")
print("| --- | --- | --- | --- |")
for r in rows:
    print("| " + " | ".join(r) + " |")
