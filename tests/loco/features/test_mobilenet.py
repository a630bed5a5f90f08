import numpy as np
import pytest
import torch

from loco.features.mobilenet import OnnxMobileNetV2, load_mobilenet_v2, normalise_uint8
from tests.fixtures.media.make_media import photo_on_white

# ImageNet-1k indices (torchvision order) that name what each Tux Paint photo shows.
EXPECTED = {
    "dog": set(range(151, 269)),  # any dog breed
    "rooster": {7, 8},  # cock, hen
    "firetruck": {555},  # fire engine
}


@pytest.fixture(scope="module")
def model():
    return load_mobilenet_v2()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_photo_class_in_top5(model, name):
    batch = torch.from_numpy(photo_on_white(name)[None])
    with torch.inference_mode():
        logits = model(normalise_uint8(batch))[0]
    top5 = set(torch.topk(logits, 5).indices.tolist())
    assert top5 & EXPECTED[name], (name, top5)


def test_embedding_is_the_classifier_input(model):
    x = normalise_uint8(torch.from_numpy(np.stack([photo_on_white("dog"), photo_on_white("rooster")])))
    with torch.inference_mode():
        embedding = model.embed(x)
        assert embedding.shape == (2, 1280)
        torch.testing.assert_close(model.classifier(embedding), model(x))


def test_onnx_runtime_path_matches_the_torch_port(model):
    frames = np.stack([photo_on_white("dog"), photo_on_white("firetruck")])
    with torch.inference_mode():
        expected = model.embed(normalise_uint8(torch.from_numpy(frames))).numpy()
    np.testing.assert_allclose(OnnxMobileNetV2(threads=1).embed_uint8(frames), expected, atol=1e-4, rtol=1e-4)
