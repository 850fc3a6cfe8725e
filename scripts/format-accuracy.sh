#!/usr/bin/env bash
# An image model's top-1 on all 10,000 Fashion-MNIST test images in each format (docs/results.md, "One model for every
# image format"): the files written by the pool's writers of that format (a writer and its options drawn per image),
# and by the project's fixed encodings (tiff, bmp, png-stored, png, jpeg75, webp75: the bundled samples' layouts).
#   usage: scripts/format-accuracy.sh MODEL OUT.tsv [N]     (N test images per row; default all 10,000)
set -euo pipefail
model=${1:?usage: scripts/format-accuracy.sh MODEL OUT.tsv [N]}
out=${2:?usage: scripts/format-accuracy.sh MODEL OUT.tsv [N]}
limit=()
[ -n "${3:-}" ] && limit=(--limit "$3")
bf=${BYTEFORMER:-$(dirname "$0")/../src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer}
row() { "$bf" eval "$model" fashion-mnist "$@" "${limit[@]}" --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print("%d\t%.4f" % (j["samples"], j["top1"]))'; }
tmp=$(mktemp "$out.XXXXXX.tmp")
printf 'kind\tformat\tfiles\ttop1\n' > "$tmp"
for f in tiff bmp png-stored png jpeg webp; do printf 'writers\t%s\t%s\n' "$f" "$(row --writers "$f")" >> "$tmp"; done
for e in tiff bmp png-stored png jpeg75 webp75; do printf 'encoding\t%s\t%s\n' "$e" "$(row --encoding "$e")" >> "$tmp"; done
chmod 644 "$tmp"; mv "$tmp" "$out"
column -t -s $'\t' "$out"
