#!/usr/bin/env bash
# The fault checks of docs/distributed.md by hand, on a small folder set, 2 ranks:
#   kill: rank 1 gets SIGKILL after the first checkpoint; prints how long the job took to end, and its last lines;
#   hang: rank 1 gets SIGSTOP with --mpi-timeout 10; the same. (The kill is also a test: DistributedTrainingTests.)
# Usage: scripts/distributed-faults.sh [OUT_DIR] (needs a Release build and scripts/setup.sh's Open MPI).
set -uo pipefail
cd "$(dirname "$0")/.."
B=$(realpath "${BYTEFORMER:-src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer}")
OUT=${1:-/tmp/byteformer-faults}
rm -rf "$OUT"; mkdir -p "$OUT"
python3 - "$OUT/data" <<'PY'
import os, sys
for split, n in (("train", 48), ("test", 8)):
    for c in range(2):
        d = os.path.join(sys.argv[1], split, f"c{c}"); os.makedirs(d, exist_ok=True)
        for i in range(n):
            open(os.path.join(d, f"{i}.bin"), "wb").write(bytes((c * 100 + i + j * (c + 1)) % 256 for j in range(64)))
PY
MPI=(mpirun -np 2 --oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] && MPI+=(--allow-run-as-root)
fault() {  # NAME SIGNAL EXTRA_ARGS...
  local name=$1 signal=$2; shift 2
  TERM=dumb "${MPI[@]}" "$B" train --data "$OUT/data" --preset nano --max-tokens 64 --epochs 50 --batch-size 4 \
    --checkpoint-every 3 --run-dir "$OUT/$name" "$@" >"$OUT/$name.log" 2>&1 &
  local job=$!
  until [ -f "$OUT/$name/checkpoint.zip" ]; do sleep 0.05; done
  for child in $(cat "/proc/$job/task/$job/children" 2>/dev/null); do
    if tr '\0' '\n' <"/proc/$child/environ" | grep -qx OMPI_COMM_WORLD_RANK=1; then kill "-$signal" "$child"; fi
  done
  local start=$(date +%s.%N)
  wait "$job"; local code=$?
  echo "$name: SIG$signal to rank 1; the job ended $(python3 -c "import sys; print(f\"{float(sys.argv[2]) - float(sys.argv[1]):.1f}\")" "$start" "$(date +%s.%N)") s later with exit code $code"
  grep -E 'byteformer: error|noticed|MPI_ABORT' "$OUT/$name.log" | sed 's/^/  /'
}
fault kill KILL
fault hang STOP --mpi-timeout 10
