#!/usr/bin/env bash
# The layout study of docs/results.md ("What makes a byte model layout-robust"): the same TIFF recipe with each
# position encoding (learned absolute table, relative bias inside the windows, none), trained on TIFFs from the pool's
# three TIFF writers with up to 1,024 bytes of valid metadata before the pixels; then each model's offset curve up to
# 4,096 bytes (four times the longest block in training) and the TIFFs of programs training never used.
#   usage: scripts/positions-study.sh RUNS_DIR [EPOCHS] [FOREIGN_DIR]     (default 3 epochs; FOREIGN_DIR from scripts/foreign-writers.sh)
#   POSITIONS="relative learned" picks the variants; N=500 test images per row; KERNEL=56.
set -euo pipefail
runs=${1:?usage: scripts/positions-study.sh RUNS_DIR [EPOCHS] [FOREIGN_DIR]}
epochs=${2:-3}
foreign=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
bf=${BYTEFORMER:-$here/../src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer}
mkdir -p "$runs"
for p in ${POSITIONS:-learned relative none}; do
  run=$runs/positions-$p
  if [ ! -f "$run/model.safetensors" ]; then
    resume=(); [ -f "$run/checkpoint.zip" ] && resume=(--resume)
    "$bf" train --data fashion-mnist --writers tiff --metadata-bytes 1024 --preset micro --kernel "${KERNEL:-56}" --window 128 \
      --positions "$p" --epochs "$epochs" --batch-size 128 --length-groups 2 --lr 1e-3 --warmup-steps 500 --augment light \
      --test-limit 2000 --run-dir "$run" "${resume[@]}" 2>&1 | tee -a "$runs/positions-$p.log" | grep -v " step " || true
  fi
  BYTEFORMER=$bf FORMATS=tiff KS="0 8 64 256 1024 2048 4096" "$here/layout-robustness.sh" "$run/model.safetensors" "$runs/positions-$p.tsv" "${N:-500}" $foreign
done
