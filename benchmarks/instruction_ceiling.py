#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""User-space instructions per 4 KiB allocate(+export)+free under callgrind, with a ceiling:
a regression fails the unit suite, not only a benchmark nobody reads (issue 20). The counts
are callgrind's (deterministic: the machine's load does not move them), over the stand-in
heap of benchmarks/instructions.cpp, hbm's side only.

Usage: instruction_ceiling.py HBM_INSTRUCTIONS MODE "LABEL=CEILING"...
  (MODE: hbm-instructions' mode: stand-in, pool or negotiate; LABEL: its loop, e.g. allocate+free)
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
    binary, mode = sys.argv[1], sys.argv[2]
    ceilings = [(arg.rsplit("=", 1)[0], int(arg.rsplit("=", 1)[1])) for arg in sys.argv[3:]]
    if not shutil.which("valgrind"):
        print("instruction-ceiling: no valgrind (Debian: valgrind)")
        return 77
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.%p", "--dump-instr=no",
                        binary, str(N), mode, "hbm"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        per = {}
        for path in glob.glob(os.path.join(out, "cg.*")):
            text = open(path).read()
            what = re.search(r"Client Request: hbm (.+)", text)
            total = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
            if what and total:
                per[what.group(1).strip()] = int(total.group(1)) / N
    status = 0
    for what, ceiling in ceilings:
        got = per.get(what)
        if got is None:
            print(f"instruction-ceiling: no callgrind dump for {what}")
            return 1
        verdict = "ok" if got <= ceiling else "ABOVE THE CEILING"
        print(f"instruction-ceiling: {mode}, {what}: {got:.0f} instructions (ceiling {ceiling}): {verdict}")
        status |= got > ceiling
    return status


if __name__ == "__main__":
    sys.exit(main())
