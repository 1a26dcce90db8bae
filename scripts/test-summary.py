#!/usr/bin/env python3
"""Prints one closing line for a meson test run, counted per GoogleTest case:
'hbm tests: N passed, N failed, N skipped', per suite before it. Fails if nothing ran."""
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
totals = {"passed": 0, "failed": 0, "skipped": 0}
for suite in root.iter("testsuite"):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for case in suite.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            counts["failed"] += 1
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    if sum(counts.values()):
        print(f"  {suite.get('name')}: {counts['passed']} passed, {counts['failed']} failed, "
              f"{counts['skipped']} skipped")
    for k in totals:
        totals[k] += counts[k]
print(f"hbm tests: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
sys.exit(0 if totals["passed"] and not totals["failed"] else 1)
