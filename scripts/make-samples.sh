#!/usr/bin/env bash
# The bundled image samples beside the project's own encodings (samples/images/{tiff,png-stored,png,jpeg75}): the same
# images (the first Fashion-MNIST test image of each class, named for its class) written by writers of the training
# pool and by programs training never used (Debian's command-line tools, as scripts/foreign-writers.sh):
#   OUT/<writer>/<class>.<ext>            tiff-libtiff, bmp-imagesharp, webp-skia (in the pool, options drawn per image)
#   OUT/<program>-<format>/<class>.<ext>  imagemagick-tiff, netpbm-png, cjpeg-jpeg, imagemagick-bmp, cwebp-webp (never in training)
#   usage: scripts/make-samples.sh OUT      (samples/images in the checkout; a folder that exists is left as it is)
set -euo pipefail
out=${1:?usage: scripts/make-samples.sh OUT}
bf=${BYTEFORMER:-$(dirname "$0")/../src/ByteFormer.Cli/bin/Release/net10.0/linux-x64/byteformer}
for t in convert pnmtopng cjpeg cwebp rawtopgm; do
  command -v "$t" >/dev/null || { echo "make-samples: $t is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The first test image of each class: the first 40 test images hold all ten classes.
"$bf" data fashion-mnist --encoding fhwc --out "$tmp/raw" --limit 40 >/dev/null 2>&1
for writer in tiff-libtiff bmp-imagesharp webp-skia; do
  [ -e "$out/$writer" ] && { echo "make-samples: $out/$writer exists, left as it is"; continue; }
  "$bf" data fashion-mnist --writer "$writer" --out "$tmp/$writer" --limit 40 >/dev/null 2>&1
  mkdir -p "$out/$writer"
  for class in "$tmp/$writer/test"/*; do
    first=$(ls "$class" | sort | head -1)
    cp "$class/$first" "$out/$writer/$(basename "$class").${first##*.}"
  done
done
for d in imagemagick-tiff netpbm-png cjpeg-jpeg imagemagick-bmp cwebp-webp; do
  [ -e "$out/$d" ] && { echo "make-samples: $out/$d exists, left as it is"; continue; }
  mkdir -p "$tmp/new/$d"
  for class in "$tmp/raw/test"/*; do
    c=$(basename "$class")
    f="$class/$(ls "$class" | sort | head -1)"
    rawtopgm 28 28 "$f" > "$tmp/x.pgm" 2>/dev/null
    case $d in
      imagemagick-tiff) convert -size 28x28 -depth 8 "gray:$f" "$tmp/new/$d/$c.tiff" ;;
      netpbm-png) pnmtopng "$tmp/x.pgm" > "$tmp/new/$d/$c.png" 2>/dev/null ;;
      cjpeg-jpeg) cjpeg -quality 75 "$tmp/x.pgm" > "$tmp/new/$d/$c.jpg" ;;
      imagemagick-bmp) convert -size 28x28 -depth 8 "gray:$f" "$tmp/new/$d/$c.bmp" ;;
      cwebp-webp) cwebp -quiet -q 75 "$tmp/x.pgm" -o "$tmp/new/$d/$c.webp" ;;
    esac
  done
  mv "$tmp/new/$d" "$out/$d"
done
echo "make-samples: $(find "$out" -type f | wc -l) files in $(ls "$out" | wc -l) folders under $out"
