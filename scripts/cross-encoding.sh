#!/usr/bin/env bash
# The cross-encoding matrix (issue 6): each model evaluated on Fashion-MNIST's 10,000 test images in each encoding.
#   scripts/cross-encoding.sh OUT_PREFIX MODEL... [-- ENCODING...]
# Writes OUT_PREFIX.md (a Markdown table: a row per model, a column per encoding) and OUT_PREFIX.tsv.
# BYTEFORMER names the command to run (default: dotnet run of the CLI in Release).
set -euo pipefail
out=$1; shift
models=(); encodings=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do models+=("$1"); shift; done
[ $# -gt 0 ] && shift
encodings=("$@")
[ ${#encodings[@]} -eq 0 ] && encodings=(fhwc tiff png-stored png jpeg75)
cli=${BYTEFORMER:-"dotnet run -c Release --project $(dirname "$0")/../src/ByteFormer.Cli --"}
mkdir -p "$(dirname "$out")"
tsv=$(mktemp); md=$(mktemp)
printf 'model' >"$tsv"; printf '| model (trained on) |' >"$md"
for e in "${encodings[@]}"; do printf '\t%s' "$e" >>"$tsv"; printf ' %s |' "$e" >>"$md"; done
printf '\n' >>"$tsv"; printf '\n|---|' >>"$md"
for _ in "${encodings[@]}"; do printf -- '---|' >>"$md"; done
printf '\n' >>"$md"
for m in "${models[@]}"; do
  printf '%s' "$m" >>"$tsv"; printf '| `%s` |' "$m" >>"$md"
  for e in "${encodings[@]}"; do
    top1=$($cli eval "$m" fashion-mnist --encoding "$e" --json | sed -n 's/^ *"top1": *\([0-9.eE-]*\),*$/\1/p')
    [ -n "$top1" ] || { echo "cross-encoding: no top-1 for $m on $e" >&2; exit 1; }
    pct=$(awk -v t="$top1" 'BEGIN { printf "%.2f", 100 * t }')
    printf '\t%s' "$pct" >>"$tsv"; printf ' %s%% |' "$pct" >>"$md"
    echo "$m on $e: $pct%" >&2
  done
  printf '\n' >>"$tsv"; printf '\n' >>"$md"
done
mv "$tsv" "$out.tsv"; mv "$md" "$out.md"
cat "$out.md"
