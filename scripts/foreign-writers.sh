#!/usr/bin/env bash
# Fashion-MNIST test images written by programs the project never calls in training (Debian's command-line tools),
# one folder per tool and format in the layout `byteformer eval` reads: OUT/<tool>-<format>/<class>/<n>.<ext>.
#   usage: scripts/foreign-writers.sh OUT [N]     (the first N test images, in no class order; default 1000)
# Tools: ImageMagick (convert), netpbm (pnmtotiff, pnmtopng, ppmtobmp), libjpeg-turbo's cjpeg, libwebp's cwebp.
# scripts/setup.sh installs them. The byteformer binary is taken from $BYTEFORMER, else the Release build.
set -euo pipefail
shopt -s nullglob
out=${1:?usage: scripts/foreign-writers.sh OUT [N]}
n=${2:-1000}
bf=${BYTEFORMER:-$(dirname "$0")/../src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer}
[ -e "$out" ] && { echo "foreign-writers: $out already exists" >&2; exit 1; }
for t in convert pnmtotiff pnmtopng ppmtobmp cjpeg cwebp rawtopgm; do
  command -v "$t" >/dev/null || { echo "foreign-writers: $t is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
# The loop below runs inside a temporary folder, so a relative OUT is made absolute (it was written there and lost);
# made only once the tools are known to be there, since an empty OUT would block the next run.
mkdir -p "$out" && out=$(cd "$out" && pwd)
raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT
"$bf" data fashion-mnist --encoding fhwc --out "$raw/fm" --limit "$n" >/dev/null 2>&1
cd "$raw/fm/test"
for class in *; do
  for f in "$class"/*.raw; do
    b=${f%.raw}
    rawtopgm 28 28 "$f" > "$raw/x.pgm" 2>/dev/null
    for d in imagemagick-tiff imagemagick-png imagemagick-jpeg imagemagick-bmp imagemagick-webp netpbm-tiff netpbm-png netpbm-bmp cjpeg-jpeg cwebp-webp; do mkdir -p "$out/$d/$class"; done
    convert -size 28x28 -depth 8 "gray:$f" "$out/imagemagick-tiff/$b.tiff"
    convert -size 28x28 -depth 8 "gray:$f" "$out/imagemagick-png/$b.png"
    convert -size 28x28 -depth 8 "gray:$f" -quality 75 "$out/imagemagick-jpeg/$b.jpg"
    convert -size 28x28 -depth 8 "gray:$f" "$out/imagemagick-bmp/$b.bmp"
    convert -size 28x28 -depth 8 "gray:$f" -quality 75 "$out/imagemagick-webp/$b.webp"
    pnmtotiff "$raw/x.pgm" > "$out/netpbm-tiff/$b.tiff" 2>/dev/null
    pnmtopng "$raw/x.pgm" > "$out/netpbm-png/$b.png" 2>/dev/null
    cjpeg -quality 75 "$raw/x.pgm" > "$out/cjpeg-jpeg/$b.jpg"
    ppmtobmp "$raw/x.pgm" > "$out/netpbm-bmp/$b.bmp" 2>/dev/null
    cwebp -quiet -q 75 "$raw/x.pgm" -o "$out/cwebp-webp/$b.webp"
  done
done
echo "wrote $(find "$out" -type f | wc -l) files in $(ls "$out" | wc -l) folders under $out"
