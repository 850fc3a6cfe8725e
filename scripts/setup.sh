#!/usr/bin/env bash
# Installs the Debian packages the project's data comes from. Idempotent; .ci/run calls it.
#   dataset-fashion-mnist  Fashion-MNIST (byteformer data / train --data fashion-mnist, and the tests)
#   fonts-dejavu-core      the font the PNG plots are drawn with
#   python3-matplotlib     the plot scripts of docs/results.md (scripts/plot-*.py)
#   espeak-ng flite festival festvox-*   the speech synthesizers behind `byteformer data speech-synth`
#   sox                    resampling, gain, tempo and pitch of the synthesized clips
#   lame                   the MP3 encoder (audio encoding mp3)
#   imagemagick netpbm libjpeg-turbo-progs webp   image writers training never uses (scripts/foreign-writers.sh)
#   openmpi-bin libopenmpi3   mpirun and libmpi.so.40, for `mpirun -np N byteformer train` (docs/distributed.md) and its tests
#   chromium               the headless browser the serve page's test drives (/usr/bin/chromium; Playwright downloads none)
set -euo pipefail
packages=(dataset-fashion-mnist fonts-dejavu-core python3-matplotlib espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k
  festvox-us-slt-hts sox lame imagemagick netpbm libjpeg-turbo-progs webp openmpi-bin libopenmpi3 chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
