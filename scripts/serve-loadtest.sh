#!/usr/bin/env bash
# The figures of docs/serve.md: `byteformer serve` under load on this machine, beside predict's batched throughput.
#   1. predict's batched files/s, before and after the load runs (the machine is shared): the `predict` command itself on
#      PREDICT_FILES copies of the samples, less its start-up (a run on the samples alone), at its defaults (batches of
#      16, one thread per core); and bench --model-only's figure (Predictor.Predict on batches of 64, no file reading)
#   2. C clients for S seconds against `serve MODEL` (default 16 clients, 60 s)
#   3. the same clients for N requests (default 100,000): the server's RSS at start and end (memory flat?)
#   4. overload: 200 clients for 20 s (OVERLOAD_SECONDS) against `serve --queue 32`, then /healthz, /readyz and a normal request
# Loopback only, bounded in requests and seconds. Writes JSON to OUT (default /tmp/serve-loadtest) and a summary.
#   scripts/serve-loadtest.sh                       # the issue's run
#   SECONDS_LOAD=10 REQUESTS=20000 scripts/serve-loadtest.sh   # a quick one
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_LOAD=${SECONDS_LOAD:-60}
REQUESTS=${REQUESTS:-100000}
PORT=${PORT:-18181}
OVERLOAD_SECONDS=${OVERLOAD_SECONDS:-20}
OUT=${OUT:-/tmp/serve-loadtest}
PREDICT_FILES=${PREDICT_FILES:-5000}
dotnet build src/ByteFormer.Cli -c Release -v q -nologo >/dev/null
# shellcheck source=serve-common.sh
source scripts/serve-common.sh

# predict's own batched throughput: files/s over the extra files of a large run against a run on the samples alone.
many=$(mktemp -d)
trap 'stop_server; rm -rf "$many"' EXIT
sample_files=("$SAMPLES"/*)
for i in $(seq 1 $(( (PREDICT_FILES + ${#sample_files[@]} - 1) / ${#sample_files[@]} ))); do
  for f in "${sample_files[@]}"; do cp "$f" "$many/$i-$(basename "$f")"; done
done
predict_files_per_s() {
  local n_many n_few t0 t1 t2
  n_many=$(ls "$many" | wc -l); n_few=${#sample_files[@]}
  t0=$(date +%s.%N); "$BF" predict "$MODEL" "$SAMPLES" -r --jsonl >/dev/null
  t1=$(date +%s.%N); "$BF" predict "$MODEL" "$many" -r --jsonl >/dev/null
  t2=$(date +%s.%N)
  python3 -c "import sys; n_many, n_few, t0, t1, t2 = map(float, sys.argv[1:]); print(f'{(n_many - n_few) / ((t2 - t1) - (t1 - t0)):.1f}')" \
    "$n_many" "$n_few" "$t0" "$t1" "$t2"
}

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$@"; }

echo "== $(date -u '+%F %T') UTC, $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/summary.txt"
echo "-- predict's batched throughput (before)"
predict_before=$(predict_files_per_s)
"$BF" bench --model-only --model "$MODEL" --samples "$SAMPLES" --seconds 10 --json >"$OUT/predict-before.json"

echo "-- serve $NAME $SERVE_ARGS; $CLIENTS clients for $SECONDS_LOAD s"
start_server
"$BF" loadtest "$URL" --model "$NAME" --files "$SAMPLES" -c "$CLIENTS" --seconds "$SECONDS_LOAD" --warmup-s 3 \
  --server-pid "$server_pid" --json >"$OUT/load.json"
echo "-- the same clients for $REQUESTS requests (memory)"
"$BF" loadtest "$URL" --model "$NAME" --files "$SAMPLES" -c "$CLIENTS" --seconds 600 --requests "$REQUESTS" --warmup-s 0 \
  --server-pid "$server_pid" --json >"$OUT/load-requests.json"
curl -sf "$URL/metrics" >"$OUT/metrics-load.txt"
stop_server

echo "-- predict's batched throughput (after)"
predict_after=$(predict_files_per_s)
"$BF" bench --model-only --model "$MODEL" --samples "$SAMPLES" --seconds 10 --json >"$OUT/predict-after.json"

echo "-- overload: 200 clients for $OVERLOAD_SECONDS s against --queue 32"
start_server --queue 32
"$BF" loadtest "$URL" --model "$NAME" --files "$SAMPLES" -c 200 --seconds "$OVERLOAD_SECONDS" --warmup-s 0 --server-pid "$server_pid" --json >"$OUT/overload.json"
health=$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")
ready=$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")
after=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/octet-stream' --data-binary @"$(ls "$SAMPLES"/* | head -1)" "$URL/v1/models/$NAME/classify")
curl -sf "$URL/metrics" >"$OUT/metrics-overload.txt"
stop_server

before=$(json "$OUT/predict-before.json" "d['model_files_per_s_batched']")
after_bench=$(json "$OUT/predict-after.json" "d['model_files_per_s_batched']")
{
  echo "predict DIR -r (batches of 16, $(nproc) threads, files read from disk) files/s: before $predict_before, after $predict_after"
  echo "bench --model-only model_files_per_s_batched (batches of 64, in memory): before $before, after $after_bench"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); b=(float(sys.argv[2])+float(sys.argv[3]))/2; print(f'serve / predict (mean of before and after, {b:.1f}): {d[\"files_per_s\"]/b:.0%}')" "$OUT/load.json" "$predict_before" "$predict_after"
  json "$OUT/load.json" "f\"serve, {d['concurrency']} clients, {d['seconds']:.0f} s: {d['files_per_s']:.1f} files/s, p50 {d['latency_ms']['p50']:.2f} ms, p95 {d['latency_ms']['p95']:.2f} ms, p99 {d['latency_ms']['p99']:.2f} ms, max {d['latency_ms']['max_any_status']:.1f} ms, statuses {d['statuses']}, errors {d['errors']}\""
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); b=(float(sys.argv[2])+float(sys.argv[3]))/2; print(f'serve / bench batched (mean of before and after, {b:.1f}): {d[\"files_per_s\"]/b:.0%}')" "$OUT/load.json" "$before" "$after_bench"
  json "$OUT/load-requests.json" "f\"{d['requests']:,} requests in {d['seconds']:.0f} s: {d['files_per_s']:.1f} files/s, p99 {d['latency_ms']['p99']:.2f} ms, errors {d['errors']}; server RSS start {d['server_rss_bytes']['start']/2**20:.1f} MB, end {d['server_rss_bytes']['end']/2**20:.1f} MB, max sampled {d['server_rss_bytes']['max_sampled']/2**20:.1f} MB, VmHWM {d['server_rss_bytes']['peak_vmhwm']/2**20:.1f} MB\""
  json "$OUT/overload.json" "f\"overload, {d['concurrency']} clients, --queue 32, {d['seconds']:.0f} s: statuses {d['statuses']}, {d['files_per_s']:.1f} files/s, p99 of 200s {d['latency_ms']['p99']:.1f} ms, slowest request {d['latency_ms']['max_any_status']:.0f} ms (timeout 30 s)\""
  echo "after the overload: /healthz $health, /readyz $ready, a classify request $after"
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$OUT/summary.txt"
