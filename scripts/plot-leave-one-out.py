#!/usr/bin/python3
"""The leave-one-writer-out matrix from scripts/leave-one-writer-out.sh's TSV, one heat map per format, as one PNG.
usage: scripts/plot-leave-one-out.py IN.tsv OUT.png  (needs Debian's python3-matplotlib)"""
import csv, sys
try:
    import matplotlib
except ImportError:
    sys.exit("plot-leave-one-out.py: needs Debian's python3-matplotlib (scripts/setup.sh installs it)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
formats = list(dict.fromkeys(r["format"] for r in rows))
fig, axes = plt.subplots(1, len(formats), figsize=(4.6 * len(formats), 4.2), squeeze=False)
for ax, fmt in zip(axes[0], formats):
    cells = [r for r in rows if r["format"] == fmt]
    held = list(dict.fromkeys(r["held_out"] for r in cells))
    tested = list(dict.fromkeys(r["test_writer"] for r in cells))
    grid = [[next((100 * float(r["top1"]) for r in cells if r["held_out"] == h and r["test_writer"] == t), float("nan"))
             for t in tested] for h in held]
    ax.imshow(grid, cmap="viridis", vmin=0, vmax=100)
    for i, h in enumerate(held):
        for j, t in enumerate(tested):
            # The held-out writer's own cell is the one that matters: in bold.
            ax.text(j, i, f"{grid[i][j]:.1f}", ha="center", va="center", color="white" if grid[i][j] < 60 else "black",
                    fontweight="bold" if h == t else "normal")
    ax.set_xticks(range(len(tested)), tested, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(held)), ["(none)" if h == "none" else h for h in held], fontsize=8)
    ax.set_xlabel("test files written by")
    ax.set_ylabel("writer left out of training")
    ax.set_title(fmt)
fig.suptitle("Leave one writer out: test top-1 (%), bold where the writer was never seen")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
