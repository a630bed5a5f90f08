import io

import numpy as np
import pytest

from loco import service
from loco.grid import UNAV_GRID
from loco.model.internals import VideoInternals


@pytest.fixture(autouse=True)
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCO_DATA_DIR", str(tmp_path))
    return tmp_path


def test_spool_upload_names_by_content_and_enforces_the_limit(data):
    payload = b"\x00\x00\x00\x18ftypmp42" + b"x" * 5000
    first = service.spool_upload(io.BytesIO(payload), max_bytes=10_000)
    again = service.spool_upload(io.BytesIO(payload), max_bytes=10_000)
    assert first == again and first.path.name == first.sha256 and first.path.read_bytes() == payload
    with pytest.raises(service.UploadTooLargeError):
        service.spool_upload(io.BytesIO(payload), max_bytes=1000)
    with pytest.raises(service.ServiceError, match="empty"):
        service.spool_upload(io.BytesIO(b""))
    assert sorted(p.name for p in (data / "uploads").iterdir()) == [first.sha256]  # no temporary file left


def test_max_upload_mb_from_the_environment(monkeypatch):
    assert service.max_upload_mb() == 200
    monkeypatch.setenv("LOCO_MAX_UPLOAD_MB", "5")
    assert service.max_upload_mb() == 5
    monkeypatch.setenv("LOCO_MAX_UPLOAD_MB", "lots")
    with pytest.raises(service.ServiceError):
        service.max_upload_mb()


def test_layers_and_mime():
    assert service.layer_of("proposed", "model") == "prediction"
    assert service.layer_of("accepted", "import") == "ground truth"
    assert service.layer_of("accepted", "model") == "corrected"
    assert service.layer_of("edited", "import") == "corrected"
    assert service.layer_of("rejected", "model") == "rejected"
    assert service.video_mime("mov,mp4,m4a,3gp,3g2,mj2") == "video/mp4"
    assert service.video_mime("matroska,webm") == "video/webm"


def test_internals_round_trip_keeps_every_array(data):
    rng = np.random.default_rng(0)
    internals = VideoInternals(
        correspondence=rng.random((8, 8)), coherence_visual=rng.random(8), coherence_audio=rng.random(8),
        gate_visual=None, gate_audio=None, cdp_left=[rng.random((2, 8)), rng.random((2, 4))],
        cdp_right=[rng.random((2, 8)), rng.random((2, 4))],
        attention=[{"visual": rng.random((2, 8, 8)), "audio": rng.random((2, 8, 8))},
                   {"visual": rng.random((2, 4, 4)), "audio": rng.random((2, 4, 4))}], lcc_band=2)
    path = service.save_internals(data / "run.npz", internals, UNAV_GRID)
    loaded, grid = service.load_internals(path)
    assert grid == UNAV_GRID and loaded.lcc_band == 2 and loaded.gate_visual is None
    np.testing.assert_allclose(loaded.correspondence, internals.correspondence, atol=1e-3)
    np.testing.assert_allclose(loaded.attention[1]["audio"], internals.attention[1]["audio"], atol=1e-3)
    assert [a.shape for a in loaded.cdp_left] == [(2, 8), (2, 4)]


def test_models_and_active_model(data):
    assert service.available_models() == [] or service.DEFAULT_MODEL.is_file()
    (data / "models").mkdir(exist_ok=True)
    checkpoint = data / "models" / "mine.safetensors"
    checkpoint.write_bytes(b"weights")
    entries = service.available_models()
    assert checkpoint in [e.path for e in entries]
    service.set_active_model(checkpoint)
    assert service.active_model_path(entries) == checkpoint.resolve()
    assert service.model_version(checkpoint).startswith("mine-")
    with pytest.raises(service.ServiceError):
        service.set_active_model(data / "missing.safetensors")
    with pytest.raises(service.ServiceError, match="exists"):
        service.copy_into_models(checkpoint, "mine")


def test_the_example_is_recognised_by_content_even_when_uploaded(data):
    with open(service.EXAMPLE_VIDEO, "rb") as handle:
        uploaded = service.spool_upload(handle)
    assert uploaded.path != service.EXAMPLE_VIDEO and service.is_example(uploaded)
    assert service.is_example(service.example_video())
    assert not service.is_example(service.spool_upload(io.BytesIO(b"not the example")))
