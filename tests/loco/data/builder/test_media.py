"""Media locators: photos and recordings from Debian/PyPI packages, resolved as the dataset builder reads them."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import pytest
from PIL import Image

from loco.data.builder.media import GCOMPRIS_RCC_ROOT, TUXPAINT_STAMPS, MediaError, resolve, resolve_pair


def test_gcompris_drawing_becomes_a_transparent_cut_out(tmp_path):
    if not (GCOMPRIS_RCC_ROOT / "instruments.rcc").is_file() or shutil.which("rsvg-convert") is None:
        pytest.skip("Debian packages gcompris-qt-data and librsvg2-bin are not installed")
    photo, sound = resolve_pair("gcompris:instruments:violin.svg|gcompris:instruments:violin.ogg", tmp_path)
    with Image.open(photo) as image:
        assert photo.suffix == ".png" and image.mode == "RGBA" and image.height == 480
        assert image.getchannel("A").getextrema()[0] == 0  # the background is transparent
    with av.open(str(sound)) as container:
        assert container.duration / av.time_base > 0.5
    again = resolve("gcompris:instruments:violin.svg", tmp_path)
    assert again == photo


def test_a_voice_joins_one_speakers_recordings(tmp_path):
    if not Path(TUXPAINT_STAMPS).is_dir():
        pytest.skip("Debian package tuxpaint-stamps-default is not installed")
    path = resolve("voice:tuxpaint-bg", tmp_path)
    with av.open(str(path)) as container:
        assert container.duration / av.time_base > 30  # sentences, not one word looped


def test_unavailable_media_raise_a_typed_error_that_names_the_fix(tmp_path):
    with pytest.raises(MediaError, match="fetch_media.sh"):
        resolve("pypi:psychopy/face01.jpg", tmp_path)
    with pytest.raises(MediaError, match="Debian package"):
        resolve("deb:/nowhere/file.wav", tmp_path)
    with pytest.raises(MediaError, match="gcompris-qt-data"):
        resolve("gcompris:instruments:violin.svg", tmp_path, rcc_root=tmp_path / "nowhere")
    with pytest.raises(MediaError, match="unknown media locator"):
        resolve("http://example.org/a.png", tmp_path)
    with pytest.raises(MediaError, match="unknown voice"):
        resolve("voice:nobody", tmp_path)
    with pytest.raises(MediaError, match="pair key"):
        resolve_pair("|deb:/a.wav", tmp_path)
