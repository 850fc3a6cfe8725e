#!/usr/bin/env bash
# The leave-one-writer-out matrix (docs/results.md, "Leave one writer out"): for each format, one model per writer of
# its pool trained on that format's other writers only, then tested on every writer of the format; and one model
# trained on all of them, the row to compare against. A held-out writer's column says what a new program's files cost.
#   usage: scripts/leave-one-writer-out.sh OUT.tsv RUNS_DIR
#   FORMATS="tiff bmp" picks formats (default: tiff bmp png-stored); EPOCHS (1), TRAIN_LIMIT (all), N (test images per
#   cell, 2000), LR (1e-3), METADATA (bytes of metadata drawn in training, 0) and TRAIN_ARGS (more train options) set the recipe;
#   INIT_FROM=MODEL starts every model of the matrix from that file (its network in place of micro, kernel 32, window
#   128): a model that never saw the format's writers, so that a short recipe learns a compressed format at all.
set -euo pipefail
out=${1:?usage: scripts/leave-one-writer-out.sh OUT.tsv RUNS_DIR}
runs=${2:?usage: scripts/leave-one-writer-out.sh OUT.tsv RUNS_DIR}
bf=${BYTEFORMER:-$(dirname "$0")/../src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer}
n=${N:-2000}
declare -A pool=(
  [tiff]="tiff-project tiff-imagesharp tiff-libtiff"
  [bmp]="bmp-project bmp-imagesharp bmp-stb"
  [png-stored]="png-stored-project png-stored-skia png-stored-imagesharp"
  [png]="png-project png-skia png-imagesharp png-stb"
  [jpeg]="jpeg-skia jpeg-imagesharp jpeg-libjpeg jpeg-stb"
  [webp]="webp-skia webp-imagesharp")
# The bundled image model's network and recipe (micro, kernel 32, window 128), shorter.
network=(--kernel 32 --window 128)
[ -n "${INIT_FROM:-}" ] && network=(--init-from "$INIT_FROM")
train=("${network[@]}" --length-groups 4 --epochs "${EPOCHS:-1}" --batch-size 128 --lr "${LR:-1e-3}" --warmup-steps 300 --augment light --test-limit 500)
[ -n "${TRAIN_LIMIT:-}" ] && train+=(--train-limit "$TRAIN_LIMIT")
[ "${METADATA:-0}" != 0 ] && train+=(--metadata-bytes "$METADATA")
# shellcheck disable=SC2206
[ -n "${TRAIN_ARGS:-}" ] && train+=($TRAIN_ARGS)
top1() { "$bf" eval "$1" fashion-mnist --writers "$2" --limit "$n" --json | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["top1"])'; }
mkdir -p "$runs"
[ -f "$out" ] || printf 'format\theld_out\ttest_writer\tfiles\ttop1\tminutes\n' > "$out"
for f in ${FORMATS:-tiff bmp png-stored}; do
  [ -n "${pool[$f]:-}" ] || { echo "unknown format '$f' (known: ${!pool[*]})" >&2; exit 2; }
  for held in none ${pool[$f]}; do
    # Finished rows and trained models are kept: the script picks up where a killed one stopped.
    grep -q "^$f	$held	" "$out" && continue
    kept=$(for w in ${pool[$f]}; do if [ "$w" != "$held" ]; then printf '%s,' "$w"; fi; done); kept=${kept%,}
    run="$runs/$f-without-$held"
    start=$(date +%s)
    resume=()
    [ -f "$run/checkpoint.zip" ] && resume=(--resume)
    [ -f "$run/model.safetensors" ] || "$bf" train --data fashion-mnist --writers "$kept" "${train[@]}" "${resume[@]}" --run-dir "$run" >> "$run.log" 2>&1
    minutes=$(( ($(date +%s) - start + 30) / 60 ))
    rows=""
    for w in ${pool[$f]}; do rows+="$f	$held	$w	$n	$(top1 "$run/model.safetensors" "$w")	$minutes"$'\n'; done
    printf '%s' "$rows" >> "$out"
  done
done
column -t -s $'\t' "$out"
