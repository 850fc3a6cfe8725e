#!/usr/bin/env bash
# The keyword table of docs/results.md (issue 5): one row per audio encoding, all at one budget
# (55 minutes on one core each, two runs at a time on a 2-core machine), then each model by voice, with its EMA
# weights (the model file) and with its raw weights (exported from the run's last checkpoint).
#   scripts/keyword-rows.sh SPEECH_DIR RUNS_DIR [ROW...]
# SPEECH_DIR: a Speech Commands folder (e.g. from `byteformer data speech-synth --per-word 2000 --seed 0`).
# ROW: any of int16-8k uint8-8k mulaw-8k mp3-8k int16-16k int16-8k-35 (default: all, in pairs in that order).
# A row already evaluated is skipped; a trained one is only evaluated; one with a checkpoint is resumed.
# BYTEFORMER names the command to run (default: the CLI built here in Release, built once first, since two
# `dotnet run` at once would build the same project twice).
set -euo pipefail
data=$1; runs=$2; shift 2
rows=("$@")
[ ${#rows[@]} -eq 0 ] && rows=(int16-8k uint8-8k mulaw-8k mp3-8k int16-16k int16-8k-35)
if [ -z "${BYTEFORMER:-}" ]; then
  root=$(cd "$(dirname "$0")/.." && pwd)
  dotnet build -c Release "$root/src/ByteFormer.Cli" -v quiet >/dev/null
  cli="$root/src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer"
else
  cli=$BYTEFORMER
fi
mkdir -p "$runs"

# encoding, kernel (so that a 1 s clip makes about 250 tokens), task
spec() {
  case $1 in
    int16-8k) echo "wav-int16@8k 128 12" ;;
    uint8-8k) echo "wav-uint8@8k 64 12" ;;
    mulaw-8k) echo "mulaw@8k 64 12" ;;
    mp3-8k) echo "mp3@8k 16 12" ;;
    int16-16k) echo "wav-int16 256 12" ;;
    int16-8k-35) echo "wav-int16@8k 128 35" ;;
    *) echo "unknown row '$1'" >&2; exit 2 ;;
  esac
}

row() {
  local name=$1 dir="$runs/row-$1"
  read -r encoding kernel task <<<"$(spec "$name")"
  if [ -f "$dir/eval-test-raw.txt" ]; then echo "$name: done already"; return; fi
  if [ -f "$dir/model.safetensors" ]; then
    :                                                                   # trained; only the evaluations are missing
  elif [ -f "$dir/checkpoint.zip" ]; then
    # --threads is this machine's setting, not the run's: a resumed run would otherwise take every core.
    $cli train --run-dir "$dir" --resume --threads 1 >>"$dir.log" 2>&1
  else
    $cli train --data "$data" --encoding "$encoding" --task "$task" --preset micro --kernel "$kernel" --window 128 \
      --epochs 40 --time-budget 55 --batch-size 32 --lr 3e-4 --warmup-steps 300 --augment light --test-limit 1200 \
      --threads 1 --checkpoint-every 200 --run-dir "$dir" >"$dir.log" 2>&1
  fi
  # The model file holds the EMA weights; in runs this short the raw ones are ahead, so both are evaluated.
  $cli export "$dir" --weights raw --out "$dir/raw.safetensors" >/dev/null
  $cli eval "$dir/model.safetensors" "$data" --by-voice --threads 1 --report "$dir/eval-test" >"$dir/eval-test.txt"
  $cli eval "$dir/raw.safetensors" "$data" --by-voice --threads 1 --report "$dir/eval-test-raw" >"$dir/eval-test-raw.txt.part"
  mv "$dir/eval-test-raw.txt.part" "$dir/eval-test-raw.txt"
  echo "$name: EMA $(head -1 "$dir/eval-test.txt"); raw $(head -1 "$dir/eval-test-raw.txt")"
}

for ((i = 0; i < ${#rows[@]}; i += 2)); do
  row "${rows[i]}" &
  [ $((i + 1)) -lt ${#rows[@]} ] && row "${rows[i + 1]}" &
  wait
done
