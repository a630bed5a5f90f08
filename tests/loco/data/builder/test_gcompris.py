"""GCompris photo + recording pairs copied out of their Qt bundles, as the dataset builder reads them."""

from __future__ import annotations

import av
import pytest
from PIL import Image

from loco.data.builder.gcompris import GCOMPRIS_RCC_ROOT, GCOMPRIS_STAMPS, GcomprisError, gcompris_files


@pytest.fixture(scope="module")
def installed():
    if not (GCOMPRIS_RCC_ROOT / "explore_farm_animals.rcc").is_file():
        pytest.skip(f"Debian package gcompris-qt-data is not installed ({GCOMPRIS_RCC_ROOT} missing)")


def test_every_listed_pair_is_a_real_photo_and_recording(installed, tmp_path):
    for name in GCOMPRIS_STAMPS:
        photo, sound = gcompris_files(f"gcompris:{name}", out_root=tmp_path)
        assert photo.parent == sound.parent and photo.is_relative_to(tmp_path)
        with Image.open(photo) as image:
            assert min(image.size) >= 512
        with av.open(str(sound)) as container:
            assert container.streams.audio and container.duration / av.time_base > 0.5


def test_second_call_reuses_the_copied_files(installed, tmp_path):
    photo, _ = gcompris_files("gcompris:farm_animals/dog", out_root=tmp_path)
    stamp = photo.stat().st_mtime_ns
    assert gcompris_files("gcompris:farm_animals/dog", out_root=tmp_path)[0].stat().st_mtime_ns == stamp


def test_unknown_pair_and_missing_package_raise_a_typed_error(tmp_path):
    with pytest.raises(GcomprisError, match="unknown GCompris pair"):
        gcompris_files("gcompris:farm_animals/unicorn", out_root=tmp_path)
    with pytest.raises(GcomprisError, match="gcompris-qt-data"):
        gcompris_files("gcompris:farm_animals/dog", rcc_root=tmp_path / "nowhere", out_root=tmp_path)
    assert not any(tmp_path.iterdir())
