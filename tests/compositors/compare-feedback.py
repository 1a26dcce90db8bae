#!/usr/bin/env python3
"""Compares the default linux-dmabuf feedback as weston-simple-dmabuf-feedback printed it
with what hbm-wayland-client parsed (--print-feedback): main device, each tranche's target
device, scanout flag and (format, modifier) pairs. Exits 1 on any difference.

    compare-feedback.py SIMPLE_DMABUF_FEEDBACK_OUTPUT CLIENT_OUTPUT
"""
import os
import re
import sys


def fourcc_names():
    # weston-simple-dmabuf-feedback prints libdrm's name for the formats it knows, the
    # fourcc code otherwise: map DRM_FORMAT_<NAME> back to numbers from the header.
    names = {}
    for header in ("/usr/include/libdrm/drm_fourcc.h", "/usr/include/drm/drm_fourcc.h"):
        if not os.path.exists(header):
            continue
        for m in re.finditer(r"#define DRM_FORMAT_(\w+)\s+fourcc_code\('(.)',\s*'(.)',\s*'(.)',\s*'(.)'\)",
                             open(header).read()):
            a, b, c, d = (ord(ch) for ch in m.group(2, 3, 4, 5))
            names[m.group(1)] = a | b << 8 | c << 16 | d << 24
    return names


def dev_of(path):
    st = os.stat(path)
    return f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"


def parse_reference(text):
    names = fourcc_names()
    main, tranches = None, []
    for line in text.splitlines():
        if "end of dma-buf feedback" in line:
            break  # the default feedback only; a surface feedback may follow
        m = re.search(r"main_device event for dma-buf feedback - (\S+)", line)
        if m:
            main = dev_of(m.group(1))
        m = re.search(r"target_device for tranche - (\S+)", line)
        if m:
            tranches.append({"target": dev_of(m.group(1)), "scanout": None, "pairs": []})
        m = re.search(r"scanout tranche\? (yes|no)", line)
        if m:
            tranches[-1]["scanout"] = m.group(1)
        m = re.search(r"pair - format (0x[0-9a-f]+|\w+).*modifier .*\((0x[0-9a-f]+)\)", line)
        if m:
            fmt = m.group(1)
            fmt = int(fmt, 16) if fmt.startswith("0x") else names[fmt]
            tranches[-1]["pairs"].append((fmt, int(m.group(2), 16)))
    return main, tranches


def parse_client(text):
    main, tranches = None, []
    for line in text.splitlines():
        m = re.match(r"feedback: main device (\S+),", line)
        if m:
            main = m.group(1)
        m = re.match(r"tranche (\d+): target (\S+) scanout (yes|no)", line)
        if m:
            tranches.append({"target": m.group(2), "scanout": m.group(3), "pairs": []})
        m = re.match(r"tranche (\d+) pair (0x[0-9a-f]+) (0x[0-9a-f]+)", line)
        if m:
            tranches[int(m.group(1))]["pairs"].append((int(m.group(2), 16), int(m.group(3), 16)))
    return main, tranches


def main():
    ref_main, ref = parse_reference(open(sys.argv[1], errors="replace").read())
    got_main, got = parse_client(open(sys.argv[2], errors="replace").read())
    problems = []
    if ref_main is None or not ref:
        problems.append("the reference output has no default feedback")
    if ref_main != got_main:
        problems.append(f"main device: reference {ref_main}, client {got_main}")
    if len(ref) != len(got):
        problems.append(f"tranches: reference {len(ref)}, client {len(got)}")
    for i, (r, g) in enumerate(zip(ref, got)):
        r["pairs"], g["pairs"] = sorted(set(r["pairs"])), sorted(set(g["pairs"]))
        for key in ("target", "scanout", "pairs"):
            if r[key] != g[key]:
                problems.append(f"tranche {i} {key}: reference {r[key]}, client {g[key]}")
    for p in problems:
        print("feedback differs:", p)
    if not problems:
        modifiers = sorted({m for t in got for _, m in t["pairs"]})
        print(f"feedback equal: main {got_main}, {len(got)} tranche(s), "
              f"{sum(len(t['pairs']) for t in got)} pairs, modifiers {[hex(m) for m in modifiers]}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
