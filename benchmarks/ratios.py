#!/usr/bin/env python3
"""Reads Google Benchmark JSON (run with --benchmark_repetitions and aggregates) and prints
the ratios hbm promises, from medians measured side by side in one run, as a Markdown table."""
import json
import sys

data = json.load(open(sys.argv[1]))
median = {}
counters = {}
for b in data["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    name = b["run_name"]
    median[name] = b["real_time"]
    counters[name] = b
rows = []


def ratio(what, num, den, target, ok, better="lower"):
    if num not in median or den not in median:
        rows.append((what, "not run", target, "-"))
        return
    r = median[num] / median[den]
    rows.append((what, f"{r:.3f}  ({median[num]:.1f} / {median[den]:.1f} {counters[num]['time_unit']})",
                 target, "yes" if ok(r) else "no"))


for size, label in ((4096, "4 KiB"), (1 << 20, "1 MiB"), (8 << 20, "8 MiB")):
    ratio(f"hbm allocate / raw DMA_HEAP_IOCTL_ALLOC, {label}", f"BM_HbmAllocate/{size}",
          f"BM_RawHeapAlloc/{size}", "<= 1.05", lambda r: r <= 1.05)
    ratio(f"hbm allocate + export (dup) / raw ioctl, {label}", f"BM_HbmAllocateExport/{size}",
          f"BM_RawHeapAlloc/{size}", "<= 1.05", lambda r: r <= 1.05)
ratio("hbm gbm:vkms / Mesa gbm_bo_create + gbm_bo_get_fd, 1080p", "BM_HbmGbmOnVkms", "BM_MesaGbmCreateGetFd",
      "<= 1.0", lambda r: r <= 1.0)
ratio("hbm dumb:vkms / Mesa gbm_bo_create + gbm_bo_get_fd, 1080p", "BM_HbmDumbOnVkms", "BM_MesaGbmCreateGetFd",
      "<= 1.0", lambda r: r <= 1.0)
if "BM_SyncSteadyWriteLoop" in counters:
    c = counters["BM_SyncSteadyWriteLoop"]
    s, e = c.get("sync_starts_per_switch", -1), c.get("sync_ends_per_switch", -1)
    rows.append(("SYNC ioctls per CPU-domain entry (3 nested accesses inside)", f"{s:.2f} start, {e:.2f} end",
                 "1 start, 1 end", "yes" if s == 1 and e == 1 else "no"))
if "BM_MemcpyIntoMappedBuffer" in counters and "BM_MemcpyIntoMalloc" in counters:
    mapped = counters["BM_MemcpyIntoMappedBuffer"]["bytes_per_second"]
    plain = counters["BM_MemcpyIntoMalloc"]["bytes_per_second"]
    r = mapped / plain
    rows.append(("CPU write bandwidth: mapped dma-heap buffer / malloc", f"{r:.3f}  ({mapped / 2**30:.2f} / {plain / 2**30:.2f} GiB/s)",
                 ">= 0.9", "yes" if r >= 0.9 else "no"))
ratio("share round trip / bare SCM_RIGHTS round trip", "BM_HbmShareRoundTrip", "BM_ScmRightsRoundTrip",
      "< 2", lambda r: r < 2)

print("| measure | median ratio (hbm / baseline) | target | met |")
print("| --- | --- | --- | --- |")
for r in rows:
    print("| " + " | ".join(r) + " |")
