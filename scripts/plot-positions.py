#!/usr/bin/python3
"""The positions study's offset curves, one line per position encoding, from scripts/positions-study.sh's TSVs.
usage: scripts/plot-positions.py OUT.png NAME=IN.tsv [NAME=IN.tsv ...]  (needs Debian's python3-matplotlib)"""
import csv, sys
try:
    import matplotlib
except ImportError:
    sys.exit("plot-positions.py: needs Debian's python3-matplotlib (scripts/setup.sh installs it)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7.5, 4.6))
for arg in sys.argv[2:]:
    name, path = arg.split("=", 1)
    rows = [r for r in csv.DictReader(open(path), delimiter="\t") if r["kind"] == "offset"]
    ax.plot([r["metadata_bytes"] for r in rows], [100 * float(r["top1"]) for r in rows], marker="o", label=name)
ax.axvline(4.5, color="gray", linestyle=":", linewidth=1)
ax.text(4.55, ax.get_ylim()[0] + 2, "longest block in training: 1,024 bytes", fontsize=8, color="gray")
ax.set_xlabel("bytes of valid metadata (a TIFF ASCII tag) before the pixels")
ax.set_ylabel("test top-1 (%), 500 test images per point")
ax.set_title("TIFF, three writers: the offset curve by position encoding")
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[1], dpi=110)
