#!/usr/bin/env python3
"""Draws the allocation ratio across buffer sizes as an SVG (issue 20): hbm's time over the
raw DMA_HEAP_IOCTL_ALLOC's, 4 KiB to 32 MiB, without and with a dup'd export, against the
1.05 target. Reads Google Benchmark JSON as benchmarks/ratios.py does (the medians of
BM_AllocateVsRawHeapIoctl, whose ratio, hbm_ns and baseline_ns come from sideBySide() in
hbm_benchmarks.cpp). Hand-written SVG, no plotting library; the same input gives the same
bytes. Missing points are left out and named on stderr; with none at all it fails.

    benchmarks/plot.py [-o build/bench/ratios.svg] build/bench/devices.json [more.json ...]
"""
import argparse
import json
import math
import os
import re
import sys
import textwrap
from xml.sax.saxutils import escape

NAME = re.compile(r"^BM_AllocateVsRawHeapIoctl/bytes:(\d+)/dup_export:([01])$")
# The sizes hbm_benchmarks.cpp sweeps; a point outside them is still drawn.
SIZES = [4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20, 32 << 20]
VARIANTS = [  # dup_export, legend, colour, marker
    (0, "allocate", "#1f77b4", "circle"),
    (1, "allocate + dup'd export", "#d62728", "square"),
]
TARGET = 1.05

W, H = 860, 520
LEFT, RIGHT, TOP, BOTTOM = 80, 30, 84, 70  # margins around the plot area


def size_label(n):
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} B"


def fmt(v):
    """A coordinate: one decimal, no '-0.0'."""
    s = f"{v:.1f}"
    return "0.0" if s == "-0.0" else s


def load(paths):
    """{(dup_export, bytes): median entry} of the allocation benchmarks in @paths."""
    points = {}
    for path in paths:
        try:
            with open(path) as f:
                benchmarks = json.load(f)["benchmarks"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            sys.exit(f"plot.py: cannot read Google Benchmark JSON from {path}: {e}")
        for b in benchmarks:
            if b.get("aggregate_name") != "median" or b.get("error_occurred"):
                continue
            m = NAME.match(b.get("run_name", ""))
            r = b.get("ratio")
            if m and isinstance(r, (int, float)) and r > 0 and math.isfinite(r):
                points[(int(m.group(2)), int(m.group(1)))] = b
    return points


def nice_step(span, ticks=6):
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def svg(points, sources):
    sizes = sorted(set(SIZES) | {s for _, s in points})
    lo_exp = math.floor(math.log2(sizes[0]))
    hi_exp = math.ceil(math.log2(sizes[-1]))
    ratios = [b["ratio"] for b in points.values()]
    y_lo, y_hi = min(ratios + [1.0]), max(ratios + [TARGET])
    pad = (y_hi - y_lo) * 0.08 or 0.05
    step = nice_step(y_hi - y_lo + 2 * pad)
    y_lo = math.floor((y_lo - pad) / step) * step
    y_hi = math.ceil((y_hi + pad) / step) * step
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    missing = [f"{label} {size_label(s)}" for dup, label, _, _ in VARIANTS for s in SIZES if (dup, s) not in points]
    note = textwrap.wrap("not measured: " + ", ".join(missing), 125) if missing else []
    height = H + 16 * len(note)

    def x(n):
        return LEFT + (math.log2(n) - lo_exp) / (hi_exp - lo_exp) * pw

    def y(r):
        return TOP + (y_hi - r) / (y_hi - y_lo) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" viewBox="0 0 {W} {height}" '
        'font-family="sans-serif" font-size="12">',
        "<title>hbm / raw DMA_HEAP_IOCTL_ALLOC time across buffer sizes</title>",
        f'<rect width="{W}" height="{height}" fill="white"/>',
        f'<text x="{W / 2:.1f}" y="24" text-anchor="middle" font-size="16" font-weight="bold">'
        "Allocation time, hbm / raw DMA_HEAP_IOCTL_ALLOC (dma-heap system)</text>",
    ]
    reps = sorted({b.get("repetitions") for b in points.values() if b.get("repetitions")})
    sub = "median over " + "/".join(map(str, reps)) + " repetitions" if reps else "medians"
    sub += "; hbm and the raw ioctl alternate inside one benchmark; from " + ", ".join(sources)
    out.append(f'<text x="{W / 2:.1f}" y="44" text-anchor="middle" fill="#555">{escape(sub)}</text>')

    # Grid, ticks and labels.
    out.append('<g stroke="#e4e4e4" stroke-width="1">')
    k = 0
    while y_lo + k * step <= y_hi + step / 1000:
        yy = y(y_lo + k * step)
        out.append(f'<line x1="{LEFT}" y1="{fmt(yy)}" x2="{LEFT + pw}" y2="{fmt(yy)}"/>')
        k += 1
    for e in range(lo_exp, hi_exp + 1):
        xx = x(1 << e)
        out.append(f'<line x1="{fmt(xx)}" y1="{TOP}" x2="{fmt(xx)}" y2="{TOP + ph}"/>')
    out.append("</g>")
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    decimals = next(d for d in range(8) if abs(round(step, d) - step) < step * 1e-6)
    k = 0
    while y_lo + k * step <= y_hi + step / 1000:
        v = y_lo + k * step
        out.append(f'<text x="{LEFT - 8}" y="{fmt(y(v) + 4)}" text-anchor="end">{v:.{decimals}f}</text>')
        k += 1
    for e in range(lo_exp, hi_exp + 1):
        xx = x(1 << e)
        out.append(f'<line x1="{fmt(xx)}" y1="{TOP + ph}" x2="{fmt(xx)}" y2="{TOP + ph + 5}" stroke="#333"/>')
        out.append(f'<text x="{fmt(xx)}" y="{TOP + ph + 20}" text-anchor="middle">{size_label(1 << e)}</text>')
    out.append(f'<text x="{LEFT + pw / 2:.1f}" y="{TOP + ph + 42}" text-anchor="middle">buffer size (log scale)</text>')
    out.append(f'<text transform="translate(22 {TOP + ph / 2:.1f}) rotate(-90)" text-anchor="middle">'
               "time ratio, hbm / raw ioctl (lower is better)</text>")

    # Parity and the target.
    if y_lo < 1.0 < y_hi:
        out.append(f'<line x1="{LEFT}" y1="{fmt(y(1.0))}" x2="{LEFT + pw}" y2="{fmt(y(1.0))}" stroke="#999"/>')
    out.append(f'<line x1="{LEFT}" y1="{fmt(y(TARGET))}" x2="{LEFT + pw}" y2="{fmt(y(TARGET))}" '
               'stroke="#2ca02c" stroke-width="1.5" stroke-dasharray="6 4"/>')
    out.append(f'<text x="{LEFT + pw - 6}" y="{fmt(y(TARGET) - 6)}" text-anchor="end" fill="#2ca02c">'
               f"target {TARGET:.2f}</text>")

    # One line per variant, a marker per point with its numbers as a tooltip.
    for dup, label, colour, marker in VARIANTS:
        mine = sorted((s, b) for (d, s), b in points.items() if d == dup)
        if not mine:
            continue
        # A missing size breaks the line: no segment suggests a point that was not measured.
        runs = [[mine[0]]]
        for prev, cur in zip(mine, mine[1:]):
            if sizes.index(cur[0]) == sizes.index(prev[0]) + 1:
                runs[-1].append(cur)
            else:
                runs.append([cur])
        for run in runs:
            if len(run) > 1:
                pts = " ".join(f"{fmt(x(s))},{fmt(y(b['ratio']))}" for s, b in run)
                out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for s, b in mine:
            tip = f"{label}, {size_label(s)}: {b['ratio']:.3f}"
            if "hbm_ns" in b and "baseline_ns" in b:
                tip += f" ({b['hbm_ns'] / 1000:.1f} vs {b['baseline_ns'] / 1000:.1f} us)"
            cx, cy = x(s), y(b["ratio"])
            if marker == "circle":
                shape = f'<circle cx="{fmt(cx)}" cy="{fmt(cy)}" r="4" fill="{colour}">'
                end = "</circle>"
            else:
                shape = f'<rect x="{fmt(cx - 4)}" y="{fmt(cy - 4)}" width="8" height="8" fill="{colour}">'
                end = "</rect>"
            out.append(f"{shape}<title>{escape(tip)}</title>{end}")

    # Legend, one row between the subtitle and the plot area, where no point can hide it.
    entries = [(label, colour, marker, False) for _, label, colour, marker in VARIANTS]
    entries.append((f"target: ratio <= {TARGET:.2f}", "#2ca02c", None, True))
    widths = [44 + 7 * len(label) + 24 for label, *_ in entries]
    lx, ly = (W - sum(widths)) / 2, TOP - 18
    for (label, colour, marker, dashed), w in zip(entries, widths):
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        out.append(f'<line x1="{fmt(lx)}" y1="{ly}" x2="{fmt(lx + 28)}" y2="{ly}" stroke="{colour}" stroke-width="2"{dash}/>')
        if marker == "circle":
            out.append(f'<circle cx="{fmt(lx + 14)}" cy="{ly}" r="4" fill="{colour}"/>')
        elif marker == "square":
            out.append(f'<rect x="{fmt(lx + 10)}" y="{ly - 4}" width="8" height="8" fill="{colour}"/>')
        out.append(f'<text x="{fmt(lx + 36)}" y="{ly + 4}">{escape(label)}</text>')
        lx += w

    for i, line in enumerate(note):
        out.append(f'<text x="{LEFT}" y="{TOP + ph + 64 + 16 * i}" fill="#a00" font-size="11">{escape(line)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n", missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", nargs="+", help="Google Benchmark JSON (--benchmark_out)")
    parser.add_argument("-o", "--output", help="the SVG to write (default: ratios.svg next to the first JSON)")
    args = parser.parse_args()
    points = load(args.json)
    if not points:
        sys.exit(f"plot.py: no medians of BM_AllocateVsRawHeapIoctl/bytes:N/dup_export:0|1 with a ratio in "
                 f"{', '.join(args.json)} (run with --benchmark_repetitions > 1 and a filter that includes "
                 "AllocateVsRawHeapIoctl); nothing written")
    output = args.output or os.path.join(os.path.dirname(args.json[0]) or ".", "ratios.svg")
    text, missing = svg(points, [os.path.basename(p) for p in args.json])
    if missing:
        print(f"plot.py: {len(missing)} of {len(SIZES) * len(VARIANTS)} points missing, not drawn: "
              + ", ".join(missing), file=sys.stderr)
    with open(output, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
