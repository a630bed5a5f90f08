import numpy as np
import pytest

from loco.features.store import FeatureFileError, FeatureMeta, read_features, write_features
from loco.grid import UNAV_GRID


def meta() -> FeatureMeta:
    return FeatureMeta("fast", UNAV_GRID, {"visual": "v1", "audio": "a1"}, 6.0, True, "ab" * 32)


def test_round_trip_in_float16_and_truncated_to_the_shorter_stream(tmp_path):
    rng = np.random.default_rng(0)
    visual, audio = rng.normal(size=(17, 1280)), rng.normal(size=(16, 1024))
    path = write_features(tmp_path / "video.npz", visual, audio, meta())
    stored = read_features(path)
    assert stored.visual.dtype == stored.audio.dtype == np.float16
    assert stored.visual.shape == (16, 1280) and stored.audio.shape == (16, 1024)
    np.testing.assert_allclose(stored.visual, visual[:16], atol=2e-3, rtol=1e-3)
    assert stored.meta == meta()
    with np.load(path, allow_pickle=False) as data:  # the raw layout other readers rely on
        assert set(data.files) == {"visual", "audio", "meta"} and data["meta"].shape == ()


def test_bad_files_raise_typed_errors(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not an npz")
    with pytest.raises(FeatureFileError):
        read_features(junk)
    with pytest.raises(FeatureFileError):
        write_features(tmp_path / "empty.npz", np.zeros((0, 4)), np.zeros((0, 4)), meta())
    assert not (tmp_path / "empty.npz").exists()
    np.savez(tmp_path / "mismatch.npz", visual=np.zeros((3, 2)), audio=np.zeros((4, 2)), meta=np.array(meta().to_json()))
    with pytest.raises(FeatureFileError, match="inconsistent"):
        read_features(tmp_path / "mismatch.npz")


def test_an_extra_stream_round_trips_and_an_old_file_has_none(tmp_path):
    visual, audio, faces = np.zeros((6, 8)), np.zeros((6, 4)), np.tile([[0.9, 0.25]], (7, 1))
    stored = read_features(write_features(tmp_path / "v.npz", visual, audio, meta(), {"faces": faces}))
    assert set(stored.extras) == {"faces"} and stored.extras["faces"].shape == (6, 2)
    np.testing.assert_allclose(stored.extras["faces"], faces[:6], atol=1e-3)
    assert read_features(write_features(tmp_path / "old.npz", visual, audio, meta())).extras == {}
    with pytest.raises(FeatureFileError, match="extra streams"):
        write_features(tmp_path / "bad.npz", visual, audio, meta(), {"audio": faces})
