#!/usr/bin/env bash
# Is the service's memory flat? One `byteformer serve`, then SEGMENTS load runs of PER requests each (default 6 × 50,000,
# 16 clients, bundled image model and samples), the server's RSS read from /proc after every segment: a plateau shows
# as equal figures from one segment to the next, growth as a steady climb. Loopback only; bounded in requests.
#   scripts/serve-memory.sh                      # 300,000 requests
#   SEGMENTS=3 PER=10000 scripts/serve-memory.sh # a quick one
set -euo pipefail
cd "$(dirname "$0")/.."
SEGMENTS=${SEGMENTS:-6}
PER=${PER:-50000}
PORT=${PORT:-18182}
OUT=${OUT:-/tmp/serve-memory}
# shellcheck source=serve-common.sh
source scripts/serve-common.sh
trap stop_server EXIT
start_server
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$server_pid/status"; }
echo "== $(date -u '+%F %T') UTC, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $SEGMENTS × $PER requests, $CLIENTS clients" | tee "$OUT/summary.txt"
printf 'requests_done\trss_mb\tfiles_per_s\tp99_ms\terrors\n' >"$OUT/rss.tsv"
printf '0\t%s\t\t\t\n' "$(rss)" >>"$OUT/rss.tsv"
errors=0
for i in $(seq 1 "$SEGMENTS"); do
  "$BF" loadtest "$URL" --model "$NAME" --files "$SAMPLES" -c "$CLIENTS" --seconds 3600 --requests "$PER" --warmup-s 0 --json >"$OUT/segment-$i.json"
  line=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"{d['files_per_s']:.1f}\t{d['latency_ms']['p99']:.1f}\t{d['errors']}\")" "$OUT/segment-$i.json")
  errors=$((errors + $(echo "$line" | cut -f3)))
  printf '%s\t%s\t%s\n' "$((i * PER))" "$(rss)" "$line" >>"$OUT/rss.tsv"
done
awk '/^VmHWM/ {printf "peak (VmHWM) %.1f MB\n", $2 / 1024}' "/proc/$server_pid/status" >>"$OUT/summary.txt"
column -t -s $'\t' "$OUT/rss.tsv" | tee -a "$OUT/summary.txt"
[ "$errors" -eq 0 ] || { echo "serve-memory: $errors errors" >&2; exit 1; }
