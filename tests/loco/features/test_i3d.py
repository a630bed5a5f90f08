import numpy as np
import pytest
import torch

from loco.features.i3d import kinetics_head, load_i3d
from tests.conftest import I3D_REFERENCE as REFERENCE


@pytest.mark.slow
def test_port_matches_the_original_jax_model():
    reference = np.load(REFERENCE)
    clip = np.random.default_rng(20261127).uniform(-1.0, 1.0, size=(1, 16, 224, 224, 3)).astype(np.float32)
    x = torch.from_numpy(clip).permute(0, 4, 1, 2, 3).contiguous()
    model = load_i3d()
    with torch.inference_mode():
        features, logits = model.features(x).numpy(), model(x).numpy()
    assert np.abs(features - reference["mixed_5c_mean"]).max() <= 1e-3
    assert np.abs(logits - reference["logits"]).max() <= 1e-3
    assert int(logits.argmax()) == int(reference["logits"].argmax()) == 233


def test_the_kinetics_head_on_the_stored_features_gives_the_original_logits():
    """What the i3d profile stores (Mixed_5c averaged) is all the Kinetics-400 classifier needs."""
    reference = np.load(REFERENCE)
    weight, bias = kinetics_head()
    assert weight.shape == (400, 1024) and bias.shape == (400,)
    logits = reference["mixed_5c_mean"] @ weight.T + bias
    assert np.abs(logits - reference["logits"]).max() <= 1e-4
