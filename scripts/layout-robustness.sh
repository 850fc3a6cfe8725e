#!/usr/bin/env bash
# Layout robustness of an image model on Fashion-MNIST test files (docs/results.md, "Files from any program"):
#   1. per writer of the pool, files as written;
#   2. the offset curve: per format (all its writers), k bytes of valid metadata inserted before the pixels;
#   3. files from programs training never used (a folder made by scripts/foreign-writers.sh), if given.
#   usage: scripts/layout-robustness.sh MODEL OUT.tsv [N] [FOREIGN_DIR]     (N test images per row; default 1000)
#   FORMATS="tiff bmp" keeps those formats' writers, offsets and foreign folders only; KS="0 1024 4096" sets the offsets.
set -euo pipefail
model=${1:?usage: scripts/layout-robustness.sh MODEL OUT.tsv [N] [FOREIGN_DIR]}
out=${2:?usage: scripts/layout-robustness.sh MODEL OUT.tsv [N] [FOREIGN_DIR]}
n=${3:-1000}
foreign=${4:-}
bf=${BYTEFORMER:-$(dirname "$0")/../src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer}
top1() { "$bf" eval "$model" "$@" --json | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])'; }
tmp=$(mktemp "$out.XXXXXX.tmp")
printf 'kind\tname\tmetadata_bytes\tfiles\ttop1\n' > "$tmp"
writers=(tiff-project tiff-imagesharp tiff-libtiff png-project png-skia png-imagesharp png-stb png-stored-project png-stored-skia
  png-stored-imagesharp jpeg-skia jpeg-imagesharp jpeg-libjpeg jpeg-stb bmp-project bmp-imagesharp bmp-stb webp-skia webp-imagesharp)
formats=${FORMATS:-tiff png-stored png jpeg bmp webp}
ks=${KS:-0 8 64 256 1024 4096}
wanted() { for f in $formats; do case "$1" in "$f"-*|*-"$f") [[ "$f" == png && "$1" == png-stored* ]] || return 0;; esac; done; return 1; }
for w in "${writers[@]}"; do
  wanted "$w" || continue
  printf 'writer\t%s\t0\t%s\t%s\n' "$w" "$n" "$(top1 fashion-mnist --writers "$w" --limit "$n")" >> "$tmp"
done
for f in $formats; do
  for k in $ks; do
    printf 'offset\t%s\t%s\t%s\t%s\n' "$f" "$k" "$n" "$(top1 fashion-mnist --writers "$f" --metadata-bytes "$k" --limit "$n")" >> "$tmp"
  done
done
if [ -n "$foreign" ]; then
  for d in "$foreign"/*/; do
    name=$(basename "$d")
    wanted "$name" || continue
    printf 'foreign\t%s\t0\t%s\t%s\n' "$name" "$(find "$d" -type f | wc -l)" "$(top1 "$d")" >> "$tmp"
  done
fi
chmod 644 "$tmp"; mv "$tmp" "$out"
column -t -s $'\t' "$out"
