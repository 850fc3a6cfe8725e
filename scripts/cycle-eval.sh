#!/usr/bin/env bash
# The whole evaluation of one training cycle of the all-formats image model (docs/results.md, "One model for every
# image format"), each table that section reports, into one folder:
#   formats.tsv  all 10,000 test images per format, the pool's writers and the fixed encodings (format-accuracy.sh)
#   layout.tsv   500 files per writer and offset, 1,000 per program never used in training (layout-robustness.sh)
#   offset.tsv   the offset curve on all 10,000 test images (OFFSET_FILES), k = 0, 8, 64, 256, 1024, per format
#   phase.tsv    the JPEG phase curve, 3,000 test images a point (PHASE_FILES; 0 leaves it out), k = 0, 4, 8, ... 64
#   palette.tsv  netpbm's indexed BMPs as written, with the palette sorted, and made the identity (bmp-palette-probe.py)
#   samples.txt  `byteformer predict MODEL samples/images -r`, the README's main job
#   usage: scripts/cycle-eval.sh MODEL OUT_DIR FOREIGN_DIR PROBE_DIR
# FOREIGN_DIR is made by scripts/foreign-writers.sh; PROBE_DIR holds sorted/ and identity/ made from its netpbm-bmp
# by scripts/bmp-palette-probe.py (both are made here when missing). Takes about 21 minutes on 2 cores for the 6-block
# micro model, about twice that for a model twice as deep; OFFSET_FILES=3000 PHASE_FILES=0 makes it about half.
# A table already in OUT_DIR is kept, so a run cut short goes on where it stopped (delete a table to measure it again).
set -euo pipefail
model=${1:?usage: scripts/cycle-eval.sh MODEL OUT_DIR FOREIGN_DIR PROBE_DIR}
out=${2:?usage: scripts/cycle-eval.sh MODEL OUT_DIR FOREIGN_DIR PROBE_DIR}
foreign=${3:?usage: scripts/cycle-eval.sh MODEL OUT_DIR FOREIGN_DIR PROBE_DIR}
probe=${4:?usage: scripts/cycle-eval.sh MODEL OUT_DIR FOREIGN_DIR PROBE_DIR}
offset_files=${OFFSET_FILES:-10000}
phase_files=${PHASE_FILES:-3000}
here=$(cd "$(dirname "$0")" && pwd)
export BYTEFORMER=${BYTEFORMER:-$here/../src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer}
[ -f "$model" ] || { echo "cycle-eval: no model file at $model" >&2; exit 1; }
mkdir -p "$out"
[ -d "$foreign" ] || "$here/foreign-writers.sh" "$foreign" 1000
for mode in sorted identity; do
  [ -d "$probe/$mode" ] || "$here/bmp-palette-probe.py" "$foreign/netpbm-bmp" "$probe/$mode" "$mode"
done
top1() { "$BYTEFORMER" eval "$model" "$@" --json | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])'; }
# Each table is written beside its final name (same folder, so the rename is atomic) and moved there whole: a killed
# run leaves no half-written table, and a table already there is kept.
publish() { # publish TABLE COMMAND...: COMMAND's output becomes TABLE
  local table=$1 tmp; shift
  [ -s "$table" ] && { echo "cycle-eval: keeping $table"; return; }
  tmp=$(mktemp "$table.XXXXXX.tmp"); "$@" > "$tmp"; chmod 644 "$tmp"; mv "$tmp" "$table"
}
curve() { # curve N FORMATS KS
  printf 'format\tmetadata_bytes\tfiles\ttop1\n'
  for f in $2; do for k in $3; do
    printf '%s\t%s\t%s\t%s\n' "$f" "$k" "$1" "$(top1 fashion-mnist --writers "$f" --metadata-bytes "$k" --limit "$1")"
  done; done
}
palette() {
  printf 'model\tfiles\tas_written\tsorted\tidentity\n'
  printf '%s\t1000\t%s\t%s\t%s\n' "$(basename "$model")" "$(top1 "$foreign/netpbm-bmp")" "$(top1 "$probe/sorted")" "$(top1 "$probe/identity")"
}
publish "$out/samples.txt" "$BYTEFORMER" predict "$model" "$here/../samples/images" -r
tail -1 "$out/samples.txt"
[ -s "$out/formats.tsv" ] && echo "cycle-eval: keeping $out/formats.tsv" || "$here/format-accuracy.sh" "$model" "$out/formats.tsv"
publish "$out/palette.tsv" palette
cat "$out/palette.tsv"
[ -s "$out/layout.tsv" ] && echo "cycle-eval: keeping $out/layout.tsv" || "$here/layout-robustness.sh" "$model" "$out/layout.tsv" 500 "$foreign"
publish "$out/offset.tsv" curve "$offset_files" "tiff bmp png-stored png jpeg webp" "0 8 64 256 1024"
[ "$phase_files" -eq 0 ] || publish "$out/phase.tsv" curve "$phase_files" jpeg "$(seq -s ' ' 0 4 64)"
echo "cycle-eval: wrote $(ls "$out" | tr '\n' ' ')under $out"
