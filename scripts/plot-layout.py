#!/usr/bin/python3
"""The offset curve and the per-writer bars from scripts/layout-robustness.sh's TSV, as one PNG.
usage: scripts/plot-layout.py IN.tsv OUT.png  (needs Debian's python3-matplotlib)"""
import csv, sys
try:
    import matplotlib
except ImportError:
    sys.exit("plot-layout.py: needs Debian's python3-matplotlib (scripts/setup.sh installs it)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
for fmt in dict.fromkeys(r["name"] for r in rows if r["kind"] == "offset"):
    pts = [(int(r["metadata_bytes"]), 100 * float(r["top1"])) for r in rows if r["kind"] == "offset" and r["name"] == fmt]
    left.plot([str(k) for k, _ in pts], [a for _, a in pts], marker="o", label=fmt)
left.set_xlabel("bytes of valid metadata inserted before the pixels")
left.set_ylabel("test top-1 (%)")
left.set_title("Offset curve")
left.legend()
bars = [r for r in rows if r["kind"] in ("writer", "foreign")]
right.bar(range(len(bars)), [100 * float(r["top1"]) for r in bars],
          color=["tab:blue" if r["kind"] == "writer" else "tab:orange" for r in bars])
right.set_xticks(range(len(bars)), [r["name"] for r in bars], rotation=75, fontsize=7, ha="right", rotation_mode="anchor")
right.set_ylabel("test top-1 (%)")
right.set_title("By writer (blue: in training; orange: never used in training)")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
