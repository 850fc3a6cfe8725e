# Sourced by scripts/serve-loadtest.sh and scripts/serve-memory.sh: the settings both take from the environment and the
# server they start and stop. Set PORT and OUT before sourcing (each script has its own defaults).
MODEL=${MODEL:-models/fashion-mnist-tiff.safetensors}
NAME=$(basename "$MODEL" .safetensors)
SAMPLES=${SAMPLES:-samples/images/tiff}
CLIENTS=${CLIENTS:-16}
SERVE_ARGS=${SERVE_ARGS:-}
mkdir -p "$OUT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
BF=${BYTEFORMER:-src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer}
URL=http://127.0.0.1:$PORT

server_pid=
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  server_pid=
}

start_server() {
  # shellcheck disable=SC2086
  "$BF" serve "$MODEL" --port "$PORT" $SERVE_ARGS "$@" 2>>"$OUT/serve.log" &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "$URL/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "$(basename "$0"): the server did not become ready (see $OUT/serve.log)" >&2
  exit 1
}
