#!/usr/bin/python3
"""JPEG top-1 against the bytes of comment inserted before the scan, one line per model, from TSVs of
(format, metadata_bytes, files, top1) rows; the points at 8 mod 16 (half the bundled model's 16-byte stride) are ringed.
usage: scripts/plot-jpeg-phase.py OUT.png LABEL=IN.tsv [LABEL=IN.tsv ...]  (needs Debian's python3-matplotlib)"""
import csv, sys
try:
    import matplotlib
except ImportError:
    sys.exit("plot-jpeg-phase.py: needs Debian's python3-matplotlib (scripts/setup.sh installs it)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 4.5))
for arg in sys.argv[2:]:
    label, path = arg.split("=", 1)
    rows = [r for r in csv.reader(open(path), delimiter="\t") if len(r) == 4 and r[1].isdigit()]
    ks = [int(r[1]) for r in rows]
    acc = [100 * float(r[3]) for r in rows]
    line, = ax.plot(ks, acc, marker="o", label=label)
    for k, a in zip(ks, acc):
        if k % 16 == 8:
            ax.plot(k, a, marker="o", markersize=11, markerfacecolor="none", color=line.get_color())
for k in range(8, 65, 16):
    ax.axvline(k, color="0.85", zorder=0)
ax.set_xlabel("bytes of JPEG comment inserted after SOI/APP0 (grey lines: 8 mod 16, half the stride)")
ax.set_ylabel("test top-1 (%)")
ax.set_title("JPEG files by the phase their scan lands at")
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[1], dpi=110)
