"""The face cue: MTCNN on real frames (a talking head of the psychopy package; street footage; cut-out photos), the
ONNX path against the PyTorch port, and the every-other-step schedule."""

import numpy as np
import pytest
import torch

from loco.features import faces
from loco.features.faces import CUE_DIM, FaceDetector, every_other_step, load_networks
from loco.features.registry import get_encoder
from loco.media import iter_frames_at
from tests.fixtures.media.make_media import FIXTURES, background_frames, photo_on_white

TALKING_HEADS = ("jwpIntro", "testMovie")  # psychopy's two real talking-head videos (tests/fixtures/media)


@pytest.fixture(scope="module")
def detector():
    return FaceDetector("cpu")


def frames_of(name: str, times) -> np.ndarray:
    return np.stack([frame for _, frame in iter_frames_at(FIXTURES / f"{name}.mp4", times)])


@pytest.mark.parametrize("name", TALKING_HEADS)
def test_the_speaker_s_face_is_found_in_every_frame(detector, name):
    frames = frames_of(name, [0.5, 2.0, 3.5, 5.0])
    faces, best = detector.detect(frames)
    assert all(len(found) >= 1 for found in faces), faces
    assert best.min() > 0.95
    cues = detector.cues(frames)
    assert cues.shape == (4, CUE_DIM) and cues.dtype == np.float32
    assert np.all((cues[:, 1] > 0.08) & (cues[:, 1] < 0.6)), cues  # a head and shoulders shot: a large face
    for found in faces:  # the face sits in the upper middle of the frame
        x1, y1, x2, y2, _ = found[0]
        assert 20 < (x1 + x2) / 2 < 204 and (y1 + y2) / 2 < 150, found


def test_no_face_in_street_footage_or_in_cut_out_photos(detector):
    street = np.stack([np.ascontiguousarray(f[8:232, 48:272]) for f in background_frames(6, 10)])
    photos = np.stack([photo_on_white(name) for name in ("dog", "rooster", "firetruck")])
    for frames in (street, photos):
        faces, _ = detector.detect(frames)
        assert not any(len(found) for found in faces)
        assert np.all(detector.cues(frames)[:, 1] == 0)
        assert np.all(detector.cues(frames)[:, 0] < 0.7)


def test_the_onnx_graphs_compute_the_pytorch_port():
    networks, onnx = load_networks(), FaceDetector("cpu")
    generator = torch.Generator().manual_seed(0)
    for name, size in (("pnet", 37), ("rnet", 24), ("onet", 48)):
        images = torch.randint(0, 256, (3, 3, size, size), generator=generator).float()
        with torch.inference_mode():
            expected = [out.numpy() for out in networks[name](images)]
        for got, want in zip(onnx.nets[name](images.numpy()), expected):
            np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)


def test_every_other_step_fills_the_steps_between_with_the_larger_neighbour():
    frames = np.arange(5)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)  # frame i holds the value i

    def cues(batch):  # step 2 has a face, 0 and 4 none
        return np.array([[0.9, 0.2] if f[0, 0, 0] == 2 else [0.1, 0.0] for f in batch], np.float32)

    out = every_other_step(cues, frames)
    np.testing.assert_allclose(out, [[0.1, 0], [0.9, 0.2], [0.9, 0.2], [0.9, 0.2], [0.1, 0]])
    np.testing.assert_allclose(every_other_step(cues, frames[:4]), out[:4])  # an even batch: the last copies left
    np.testing.assert_allclose(every_other_step(cues, frames[:1]), out[:1])


def test_the_registered_encoder_reads_each_clip_s_centre_frame():
    encoder = get_encoder("faces")
    assert (encoder.stream, encoder.dim) == ("visual", CUE_DIM)
    embed = encoder.load("cpu")
    frames = frames_of("jwpIntro", [1.0, 1.32, 1.64])
    clips = np.stack([np.zeros_like(frames), frames, np.zeros_like(frames)], axis=1)  # [3, T=3, H, W, 3]
    cues = embed(clips)
    assert cues.shape == (3, CUE_DIM) and np.all(cues[:, 0] > 0.95)


def test_an_onnx_export_that_does_not_compute_the_port_is_refused(tmp_path, monkeypatch):
    class Wrong:  # a graph whose outputs are off
        def __init__(self, graph, providers):
            self.session = real(graph, providers=providers)

        def run(self, names, feed):
            return [out + 0.5 for out in self.session.run(names, feed)]

    real = faces.ort.InferenceSession
    monkeypatch.setattr(faces.ort, "InferenceSession", Wrong)
    with pytest.raises(faces.FaceDetectorError, match="rnet"):
        faces._export_onnx("rnet", tmp_path / "rnet.onnx")
    assert not (tmp_path / "rnet.onnx").exists()
    assert f"export{faces.EXPORT_VERSION}" in faces.ONNX_FILE and f"onnx{faces.EXPORT_VERSION}" in get_encoder(
        "faces").version
