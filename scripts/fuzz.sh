#!/usr/bin/env bash
# Long fuzz runs of the loaders of untrusted bytes (fuzz/ByteFormer.Fuzz, docs/fuzzing.md).
#   scripts/fuzz.sh [TARGET...]        every target when none is named
# Environment:
#   EXECS=1000000     inputs per target          SECONDS_CAP=  stop a target after this many seconds (none)
#   SEED=1            the mutator's seed          TIMEOUT_S=10  an input running longer is a hang
#   MODE=mutate       mutate (in-process, coverage-less), or afl (afl-fuzz on a SharpFuzz-instrumented build)
#   NICE=10           niceness: the machine is shared        NO_BUILD=1  use the Release build as it is
# Prints one line per target (execs, time, execs/s, refusals, defects); logs under fuzz/runs/; inputs that break
# a target under fuzz/findings/TARGET/. Exits 1 when any target had a defect.
set -euo pipefail
cd "$(dirname "$0")/.."
EXECS=${EXECS:-1000000}
SEED=${SEED:-1}
TIMEOUT_S=${TIMEOUT_S:-10}
MODE=${MODE:-mutate}
NICE=${NICE:-10}
out=fuzz/ByteFormer.Fuzz/bin/Release/net10.0/linux-x64
[ -n "${NO_BUILD:-}" ] || dotnet build fuzz/ByteFormer.Fuzz -c Release -v q -nologo >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(dotnet "$out/ByteFormer.Fuzz.dll" list | awk '{print $1}')
fi
mkdir -p fuzz/runs
status=0
for t in "${targets[@]}"; do
  log="fuzz/runs/$t-seed$SEED.log"
  case "$MODE" in
    mutate)
      args=(mutate "$t" --execs "$EXECS" --seed "$SEED" --timeout-s "$TIMEOUT_S")
      [ -n "${SECONDS_CAP:-}" ] && args+=(--seconds "$SECONDS_CAP")
      if nice -n "$NICE" dotnet "$out/ByteFormer.Fuzz.dll" "${args[@]}" >"$log.out" 2>"$log"; then rc=0; else rc=$?; fi
      cat "$log.out"
      if [ "$rc" -ne 0 ]; then
        status=1
        [ "$rc" -ne 1 ] && echo "$t: the fuzzer exited $rc (a crash that ended the process?); see $log"
      fi
      ;;
    afl)
      # afl++ drives the same target through SharpFuzz; ByteFormer.Core.dll is instrumented in a copy of the build.
      command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }
      export PATH="$PATH:$HOME/.dotnet/tools"
      command -v sharpfuzz >/dev/null || { echo "sharpfuzz not found: dotnet tool install --global SharpFuzz.CommandLine" >&2; exit 2; }
      inst=fuzz/runs/afl-build
      log="fuzz/runs/afl-$t.log"
      rm -rf "$inst" && cp -r "$out" "$inst"
      sharpfuzz "$inst/ByteFormer.Core.dll" >/dev/null
      # No core_pattern or CPU governor to set in a container; dotnet is not an afl-instrumented binary itself.
      AFL_AUTORESUME=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 timeout "${SECONDS_CAP:-3600}" nice -n "$NICE" \
        afl-fuzz -i "fuzz/corpus/$t" -o "fuzz/runs/afl-$t" -t $((TIMEOUT_S * 1000)) -m none -- \
        dotnet "$inst/ByteFormer.Fuzz.dll" afl "$t" >"$log" 2>&1 || true
      stats="fuzz/runs/afl-$t/default/fuzzer_stats"
      if [ -f "$stats" ]; then
        awk -v t="$t" '/^(execs_done|run_time|execs_per_sec|saved_crashes|saved_hangs|corpus_count|edges_found) /{v[$1]=$3} END {printf "%s: afl++ %s execs in %s s (%s/s), corpus %s, %s edges, %s crashes, %s hangs\n", t, v["execs_done"], v["run_time"], v["execs_per_sec"], v["corpus_count"], v["edges_found"], v["saved_crashes"], v["saved_hangs"]}' "$stats"
        [ "$(awk '/^saved_crashes /{print $3}' "$stats")" = 0 ] || status=1
      fi
      ;;
    *) echo "MODE must be mutate or afl" >&2; exit 2 ;;
  esac
done
exit $status
