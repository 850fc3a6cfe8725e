#!/usr/bin/env bash
# SIGTERM during training, N times at random moments (mid-step, mid-checkpoint, mid-evaluation), resuming each time:
# the final weights must be byte-identical to an unbroken run's, metrics.jsonl equal (but for its clock figures), and
# no temporary file left behind.
#   scripts/sigterm-resume.sh BYTEFORMER OUT_DIR [KILLS]
set -euo pipefail
bf=${1:?usage: sigterm-resume.sh BYTEFORMER OUT_DIR [KILLS]}
out=${2:?usage: sigterm-resume.sh BYTEFORMER OUT_DIR [KILLS]}
kills=${3:-20}
mkdir -p "$out"
args=(train --data fashion-mnist --encoding tiff --train-limit 1200 --test-limit 200 --preset nano --max-tokens 256
  --epochs 3 --batch-size 16 --checkpoint-every 7)
"$bf" "${args[@]}" --run-dir "$out/unbroken" > "$out/unbroken.log" 2>&1
done_kills=0
RANDOM=7
"$bf" "${args[@]}" --run-dir "$out/broken" > "$out/broken.log" 2>&1 &
pid=$!
while true; do
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1 + 6 * r / 32768 }')"
  if kill -0 "$pid" 2>/dev/null && [ "$done_kills" -lt "$kills" ]; then
    kill -TERM "$pid"
    status=0; wait "$pid" || status=$?
    done_kills=$((done_kills + 1))
    [ "$status" -eq 143 ] || [ "$status" -eq 0 ] || { echo "sigterm-resume: FAILED: exit $status after SIGTERM $done_kills"; exit 1; }
    "$bf" train --run-dir "$out/broken" --resume >> "$out/broken.log" 2>&1 &
    pid=$!
  else
    wait "$pid"
    break
  fi
done
same() { cmp -s <(unzip -p "$out/unbroken/checkpoint.zip" "$1") <(unzip -p "$out/broken/checkpoint.zip" "$1"); }
strip() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d=json.loads(l); [d.pop(k,None) for k in ("train_samples_per_s","epoch_seconds","elapsed_seconds","eval_samples_per_s")]; print(json.dumps(d,sort_keys=True))' "$1"; }
weights=different; same model.safetensors && same ema.safetensors && weights=identical
metrics=different; cmp -s <(strip "$out/unbroken/metrics.jsonl") <(strip "$out/broken/metrics.jsonl") && metrics=equal
temps=$(find "$out/broken" -name '*.tmp' | wc -l)
echo "sigterm-resume: $done_kills SIGTERMs; final weights (raw and EMA) $weights; metrics.jsonl $metrics; $temps temporary files left"
[ "$weights" = identical ] && [ "$metrics" = equal ] && [ "$temps" -eq 0 ]
