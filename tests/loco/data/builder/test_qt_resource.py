"""The Qt resource reader on GCompris's real bundles (Debian gcompris-qt-data), and on files that are not bundles."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from loco.data.builder.gcompris import GCOMPRIS_RCC_ROOT
from loco.data.builder.qt_resource import QtResourceError, read_qt_resources

FARM = GCOMPRIS_RCC_ROOT / "explore_farm_animals.rcc"


@pytest.fixture(scope="module")
def farm_bundle() -> dict[str, bytes]:
    if not FARM.is_file():
        pytest.skip(f"Debian package gcompris-qt-data is not installed ({FARM} missing)")
    return read_qt_resources(FARM)


def test_reads_paths_and_plain_and_compressed_files(farm_bundle):
    folder = "gcompris/src/activities/explore_farm_animals/"
    photo = farm_bundle[folder + "resource/animals/dog.webp"]
    with Image.open(io.BytesIO(photo)) as image:
        assert image.format == "WEBP" and image.size[0] >= 512
    assert farm_bundle[folder + "resource/animals/dog.ogg"][:4] == b"OggS"
    # QML sources are stored zlib-compressed by rcc: they come back as readable text
    qml = farm_bundle[folder + "ExploreFarmAnimals.qml"].decode("utf-8")
    assert "import QtQuick" in qml
    assert len([name for name in farm_bundle if name.endswith(".ogg")]) == 9


def test_not_a_bundle_and_a_truncated_bundle_raise_a_typed_error(tmp_path, farm_bundle):
    text = tmp_path / "notes.rcc"
    text.write_text("just text")
    with pytest.raises(QtResourceError, match="not a Qt resource file"):
        read_qt_resources(text)
    truncated = tmp_path / "cut.rcc"
    truncated.write_bytes(FARM.read_bytes()[:4096])
    with pytest.raises(QtResourceError, match="cut.rcc"):
        read_qt_resources(truncated)
