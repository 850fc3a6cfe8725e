#!/usr/bin/env bash
# The packages as a user gets them. Packs every project under src/ into a local feed, installs the byteformer
# tool from that feed into an empty folder, and runs the README's main job with it (the bundled model ships
# inside the tool as 'default'). Then it builds a fresh console app on the ByteFormer.Core package and runs
# the README's library example with it, once built and once published. The example is taken from README.md,
# so the README and this check cannot drift. The app runs TorchSharp, so on Debian 12 it also proves that the
# package's GLIBCXX fix works outside this repository. Prints each step's time, the package sizes and the
# installed tool's size. .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

fail() { echo "package-check: FAILED: $*" >&2; exit 1; }

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)
[ -n "$version" ] || fail "no <Version> in Directory.Build.props"

# Needed: the tool's publish folder and package (~0.7 GB), the installed tool (~0.8 GB), and the app built
# (~1 GB: a build without a runtime identifier holds every platform's SkiaSharp) and published (~0.5 GB).
free_kb=$(df -Pk "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $4 }')
[ "$free_kb" -ge $((5 * 1024 * 1024)) ] || fail "less than 5 GB free under ${TMPDIR:-/tmp}"

work=$(mktemp -d "${TMPDIR:-/tmp}/byteformer-packages.XXXXXX")
feed=$work/feed tools=$work/tools app=$work/app log=$work/step.log
global_packages=$(dotnet nuget locals global-packages --list | sed 's/^[^:]*: *//')
packed_ids=()
# A package of the same id and version that an earlier run left in the global packages folder would be used
# in place of the one just packed, so this run's own library packages are removed from it before and after.
forget_packed() {
  local id
  for id in ${packed_ids[@]+"${packed_ids[@]}"}; do
    rm -rf "$global_packages/${id,,}/$version"
    rmdir --ignore-fail-on-non-empty "$global_packages/${id,,}" 2>/dev/null || true
  done
}
trap 'forget_packed; rm -rf "$work"' EXIT

# step NAME COMMAND...: runs COMMAND with its output in $log, says how long it took, stops with the output's
# tail and one line if it fails.
step() {
  local name=$1 start=$SECONDS
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "$name"
  fi
  echo "package-check: $name: $((SECONDS - start)) s"
}

mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# --- Pack ---------------------------------------------------------------------------------------------------
mkdir -p "$feed"
for project in src/*/*.csproj; do
  step "pack $project" dotnet pack "$project" -c Release -o "$feed"
done
for package in "$feed"/*.nupkg; do
  [ -e "$package" ] || fail "dotnet pack made no package"
  echo "package-check: $(basename "$package"): $(mib "$package")"
done
for package in "$feed"/*.snupkg; do
  if [ -e "$package" ]; then echo "package-check: $(basename "$package") (symbols): $(mib "$package")"; fi
done
for package in "$feed"/*."$version".nupkg; do
  id=$(basename "$package" ".$version.nupkg")
  [ "$id" = byteformer ] || packed_ids+=("$id")
done
[ -e "$feed/byteformer.$version.nupkg" ] || fail "no tool package byteformer.$version.nupkg in the feed"
[ -e "$feed/ByteFormer.Core.$version.nupkg" ] || fail "no library package ByteFormer.Core.$version.nupkg in the feed"
forget_packed

# --- The tool -----------------------------------------------------------------------------------------------
step "dotnet tool install byteformer" dotnet tool install byteformer --tool-path "$tools" --add-source "$feed" --version "$version"
echo "package-check: installed tool folder: $(du -sh "$tools" | cut -f1)"
# The README's main job, run by the installed tool with the model it ships.
step "byteformer predict default samples/images -r (the installed tool)" "$tools/byteformer" predict default samples/images -r
cat "$log"
# As many right as the README says the main job gets (the test suite ties that figure to the repository's build).
right=$(sed -n 's/^\([0-9]*\) of [0-9]* files named for their class are right.*/\1/p' "$log")
claim=$(sed -n 's/.*It gets \*\*\([0-9]*\) of the [0-9]*\*\* right.*/\1/p' README.md)
[ -n "$right" ] && [ "$right" = "$claim" ] || fail "the installed tool got ${right:-?} samples right, the README says ${claim:-?}"
# Every sample labelled, each as the repository's models/fashion-mnist-images.safetensors labels it: the tool ships
# that model, not another one that happens to score the same.
labels() { grep -o '"file":"[^"]*","label":"[^"]*"' "$log" | sort; }
step "byteformer predict default samples/images -r --jsonl" "$tools/byteformer" predict default samples/images -r --jsonl
labels >"$work/tool-labels"
[ "$(wc -l <"$work/tool-labels")" -eq "$(find samples/images -type f | wc -l)" ] || fail "the tool did not classify every sample"
step "byteformer predict models/fashion-mnist-images.safetensors samples/images -r --jsonl" \
  "$tools/byteformer" predict models/fashion-mnist-images.safetensors samples/images -r --jsonl
labels >"$work/repo-labels"
cmp -s "$work/tool-labels" "$work/repo-labels" || fail "the installed tool's default model labels the samples otherwise than models/fashion-mnist-images.safetensors"
echo "package-check: the installed tool classified every sample ($right right, as the README says; each label as the repository's model gives it) with its bundled model"

# --- A library consumer -------------------------------------------------------------------------------------
mkdir -p "$app"
awk '/^### In your program/ { section = 1 } section && /^```csharp/ { code = 1; next } code && /^```/ { exit } code' \
  README.md >"$work/Program.cs"
grep -q 'ModelFile.Load' "$work/Program.cs" || fail "no C# example under \"In your program\" in README.md"
cd "$app"
step "dotnet new console" dotnet new console --name app --output .
cp "$work/Program.cs" Program.cs
# A feed next to the user's own sources: 'dotnet add package --source' would search the feed alone, and the
# library's dependencies (TorchSharp, libtorch) come from NuGet.
cat >nuget.config <<EOF
<configuration>
  <packageSources>
    <add key="byteformer-local" value="$feed" />
  </packageSources>
</configuration>
EOF
step "dotnet add package ByteFormer.Core" dotnet add package ByteFormer.Core --version "$version"
step "dotnet build (the app)" dotnet build -c Release
step "dotnet publish -r linux-x64 (the app)" dotnet publish -c Release -r linux-x64 --self-contained false -o "$app/publish"
cd "$root"
# The example's paths are relative to the repository root, as in the README.
for run in "dotnet $app/bin/Release/net10.0/app.dll" "$app/publish/app"; do
  out=$($run 2>&1) || { echo "$out" >&2; fail "the library example ($run)"; }
  echo "package-check: library example ($run): $out"
  [[ $out == bag\ * ]] || fail "the library example did not call samples/images/tiff/bag.tiff 'bag' ($run)"
done

# --- ONNX-only consumer (ByteFormer.Inference) ----------------------------------------------------------------
# The bundled model exported to ONNX by the installed tool, then the README's ONNX example in a fresh app that
# references the inference package alone: it must run, and restore no TorchSharp.
onnx_app="$work/onnx-app"
mkdir -p "$onnx_app"
step "byteformer export default --format onnx (the installed tool)" "$tools/byteformer" export default --format onnx --out "$work/tiff.onnx"
awk '/^### Export to ONNX/ { section = 1 } section && /^```csharp/ { code = 1; next } code && /^```/ { exit } code' \
  README.md | sed "s|\"tiff.onnx\"|\"$work/tiff.onnx\"|" >"$work/OnnxProgram.cs"
grep -q 'OnnxPredictor.Open' "$work/OnnxProgram.cs" || fail "no C# example under \"Export to ONNX\" in README.md"
cd "$onnx_app"
step "dotnet new console (ONNX app)" dotnet new console --name onnxapp --output .
cp "$work/OnnxProgram.cs" Program.cs
cp "$app/nuget.config" nuget.config
step "dotnet add package ByteFormer.Inference" dotnet add package ByteFormer.Inference --version "$version"
step "dotnet publish -r linux-x64 (the ONNX app)" dotnet publish -c Release -r linux-x64 --self-contained false -o "$onnx_app/publish"
cd "$root"
if grep -qi torchsharp "$onnx_app/obj/project.assets.json"; then fail "the ONNX-only app restored TorchSharp"; fi
out=$("$onnx_app/publish/onnxapp" 2>&1) || { echo "$out" >&2; fail "the ONNX example"; }
echo "package-check: ONNX-only example: $out (publish folder $(du -sh "$onnx_app/publish" | cut -f1), no TorchSharp)"
[[ $out == bag\ * ]] || fail "the ONNX example did not call samples/images/tiff/bag.tiff 'bag'"

echo "package-check: passed (packages $version in a local feed: tool installed and run, library example built, published and run)"
