#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""User-space instructions per 4 KiB allocate(+export)+free under callgrind, with a ceiling:
a regression fails the unit suite, not only a benchmark nobody reads (issue 20). The counts
are callgrind's (deterministic: the machine's load does not move them), over the stand-in
heap of benchmarks/instructions.cpp, hbm's side only.

Usage: instruction_ceiling.py HBM_INSTRUCTIONS CEILING_ALLOCATE CEILING_EXPORT
Exit 77 (skip) without valgrind.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

N = 500


def main():
    binary, allocate_ceiling, export_ceiling = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if not shutil.which("valgrind"):
        print("instruction-ceiling: no valgrind (Debian: valgrind)")
        return 77
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.%p", "--dump-instr=no",
                        binary, str(N), "stand-in", "hbm"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        per = {}
        for path in glob.glob(os.path.join(out, "cg.*")):
            text = open(path).read()
            what = re.search(r"Client Request: hbm (.+)", text)
            total = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
            if what and total:
                per[what.group(1).strip()] = int(total.group(1)) / N
    status = 0
    for what, ceiling in (("allocate+free", allocate_ceiling), ("allocate+export+free", export_ceiling)):
        got = per.get(what)
        if got is None:
            print(f"instruction-ceiling: no callgrind dump for {what}")
            return 1
        verdict = "ok" if got <= ceiling else "ABOVE THE CEILING"
        print(f"instruction-ceiling: 4 KiB {what}: {got:.0f} instructions (ceiling {ceiling}): {verdict}")
        status |= got > ceiling
    return status


if __name__ == "__main__":
    sys.exit(main())
