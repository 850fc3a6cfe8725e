#!/usr/bin/env bash
# Side-by-side figures for docs/distributed.md, in one run on one machine:
#   1. float32 equivalence: one epoch of Fashion-MNIST TIFF (the usual recipe: augmentation, label smoothing, EMA,
#      clipping) by 1 process at batch 2B and by 2 ranks at batch B; the largest weight difference, raw and EMA.
#   2. throughput: 1 process x 2 threads against 2 ranks x 1 thread, twice each, alternating (A B B A), with
#      rank 0's all-reduce time per step; then 1 process x 1 thread as a control; then all-reduces of the
#      gradients' size alone (after a barrier), over shared memory and over TCP.
# Usage: scripts/distributed-bench.sh [OUT_DIR] (needs a Release build and scripts/setup.sh's Open MPI).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BYTEFORMER:-src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer}
OUT=${1:-/tmp/byteformer-distributed}
LIMIT=${LIMIT:-1024}
BATCH=${BATCH:-8}
rm -rf "$OUT"; mkdir -p "$OUT"
MPI=(mpirun -np 2 --oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] && MPI+=(--allow-run-as-root)
common=(train --data fashion-mnist --encoding tiff --train-limit "$LIMIT" --test-limit 256 --preset micro --epochs 1
  --warmup-steps 10 --checkpoint-every 0 --seed 3)
one() { TERM=dumb "$B" "${common[@]}" --batch-size $((2 * BATCH)) --threads "${2:-2}" --run-dir "$OUT/$1" >"$OUT/$1.log" 2>&1; }
two() { TERM=dumb "${MPI[@]}" "$B" "${common[@]}" --batch-size "$BATCH" --threads 1 --run-dir "$OUT/$1" >"$OUT/$1.log" 2>&1; }
uptime | sed 's/^/load before: /'
one one-a; two two-a; two two-b; one one-b; one one-1thread 1
uptime | sed 's/^/load after:  /'
for btl in vader,self tcp,self; do
  TERM=dumb "${MPI[@]}" --mca btl "$btl" "$B" distributed-check --allreduce-bytes 7913000 --steps 50 --out /dev/null --run-dir "$OUT/ar" |
    sed "s/^/btl $btl: /"
done
python3 - "$OUT" <<'PY'
import json, struct, sys, zipfile, array, re, os
out = sys.argv[1]
def tensors(path, entry=None):
    b = zipfile.ZipFile(path).read(entry) if entry else open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); base = 8 + n; t = {}
    for k, v in h.items():
        if k == '__metadata__' or v['dtype'] != 'F32': continue
        s, e = v['data_offsets']; a = array.array('f'); a.frombytes(b[base + s:base + e]); t[k] = a
    return t, h.get('__metadata__', {})
def largest(a, b):
    return max((abs(x - y), k) for k in a for x, y in zip(a[k], b[k]))
raw1, _ = tensors(f'{out}/one-a/checkpoint.zip', 'model.safetensors'); raw2, _ = tensors(f'{out}/two-a/checkpoint.zip', 'model.safetensors')
ema1, m1 = tensors(f'{out}/one-a/model.safetensors'); ema2, m2 = tensors(f'{out}/two-a/model.safetensors')
scale = max(abs(x) for k in raw1 for x in raw1[k])
d, k = largest(raw1, raw2); print(f'float32, one epoch: largest raw weight difference {d:.3e} (in {k}; largest weight {scale:.3f})')
d, k = largest(ema1, ema2); print(f'float32, one epoch: largest EMA weight difference {d:.3e} (in {k})')
print('metadata world_size/global_batch:', m1.get('byteformer.world_size'), m1.get('byteformer.global_batch'), '|', m2.get('byteformer.world_size'), m2.get('byteformer.global_batch'))
for run in ['one-a', 'two-a', 'two-b', 'one-b', 'one-1thread']:
    m = json.loads(open(f'{out}/{run}/metrics.jsonl').readline())
    log = open(f'{out}/{run}.log').read()
    ar = re.search(r'gradient all-reduce on rank 0: ([\d.]+) ms a step over ([\d,]+) steps \(([\d.]+) MB', log)
    extra = f', all-reduce {ar.group(1)} ms/step of {m["epoch_seconds"] / m["step"] * 1e3:.0f} ms/step ({ar.group(3)} MB)' if ar else ''
    print(f'{run}: {m["train_samples_per_s"]:.1f} samples/s, {m["step"]} steps in {m["epoch_seconds"]:.1f} s, train loss {m["train_loss"]:.4f}, test acc {m["test_accuracy"]:.4f}{extra}')
PY
