"""The encoders' label-space prior: their heads read from the converted weights, the evidence of real recordings and
photos, the per-segment prior, and decoding with it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.special import logit

from loco.config import PostprocessConfig
from loco.features.mobilenet import load_mobilenet_v2, normalise_uint8
from loco.features.yamnet import YamNet, patches_centred_at
from loco.label_prior import LabelPrior, LabelPriorError, StepEvidence, batch_evidence, encoder_heads
from loco.label_space import LabelSpaceError, load_label_space
from loco.model.loco import LoCoOutput
from loco.model.postprocess import decode_detections
from tests.fixtures.media.make_media import FIXTURES, photo_on_white, read_audio

CLASSES = ["dog barking", "fire truck siren", "chicken calling", "thunder"]


def real_features(name: str, steps: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """[steps, 1280] MobileNetV2 features of the fixture photo and [steps, 1024] YAMNet features of its recording."""
    waveform = read_audio(FIXTURES / f"{name}.ogg")
    audio = YamNet().run(patches_centred_at(waveform, 0.48 + 0.32 * np.arange(steps))).embeddings
    with torch.inference_mode():
        visual = load_mobilenet_v2().embed(normalise_uint8(torch.from_numpy(photo_on_white(name)[None])))
    return np.repeat(visual.numpy(), steps, axis=0), audio


def test_audio_head_gives_yamnet_own_scores():
    model = YamNet()
    output = model.run(patches_centred_at(read_audio(FIXTURES / "dog.ogg"), np.array([0.5, 1.0, 1.5])))
    heads = encoder_heads()
    ours = output.embeddings @ heads.audio_weight.T + heads.audio_bias
    theirs = logit(output.scores.astype(np.float64))  # the graph's own (8-bit quantised) logits
    # one quantisation step of the graph's output is 0.76 logits, so its logits lie within half a step of ours
    assert np.abs(ours - theirs).max() <= 0.5 * model.output_scale + 1e-3
    assert heads.audioset_names == model.class_names


def test_visual_head_is_mobilenet_classifier():
    model = load_mobilenet_v2()
    x = normalise_uint8(torch.from_numpy(photo_on_white("rooster")[None]))
    with torch.inference_mode():
        embedding, logits = model.embed(x), model(x)
    heads = encoder_heads()
    ours = embedding.numpy() @ heads.visual_weight.T + heads.visual_bias
    np.testing.assert_allclose(ours, logits.numpy(), atol=1e-4)


@pytest.mark.parametrize("name, expected", [("dog", "dog barking"), ("firetruck", "fire truck siren"),
                                            ("rooster", "chicken calling")])
def test_real_recording_and_photo_favour_their_class(name, expected):
    visual, audio = real_features(name)
    evidence = LabelPrior(CLASSES).evidence(visual, audio)
    prior = evidence.segment_prior(np.array([[0.0, 5.0]]))[0]
    assert CLASSES[int(np.argmax(prior[:3]))] == expected
    assert prior[CLASSES.index(expected)] == pytest.approx(1.0)
    # thunder has no ImageNet class: its prior is its audio evidence alone, low for these sounds
    assert not evidence.visual_mapped[3] and evidence.audio_mapped[3] and prior[3] < 0.5


def test_segment_prior_averages_steps_and_takes_the_geometric_mean_of_streams():
    audio = np.array([[0.8, 0.2, 0.0], [0.4, 0.4, 0.0], [0.0, 1.0, 0.0]])
    visual = np.array([[0.1, 0.4, 0.0], [0.1, 0.4, 0.0], [0.1, 0.4, 0.0]])
    evidence = StepEvidence(audio, visual, np.array([True, True, False]), np.array([True, False, False]))
    prior = evidence.segment_prior(np.array([[0.0, 1.0], [1.6, 1.9], [-3.0, 9.0]]))
    # steps 0-1: audio means 0.6 / 0.3 -> relative 1 / 0.5; visual 1 for class 0 (the only class it maps)
    np.testing.assert_allclose(prior[0], [1.0, 0.5, 1.0])
    # a segment between two steps uses the nearest one (step 2); class 2, mapped by no stream, stays neutral
    np.testing.assert_allclose(prior[1], [0.0, 1.0, 1.0])
    # clipped to the video: all three steps, audio 0.4 / 0.533
    np.testing.assert_allclose(prior[2], [np.sqrt(0.4 / (1.6 / 3) * 1.0), 1.0, 1.0])


def test_decoding_with_the_prior_reorders_classes_only_when_weighted():
    logits = [torch.full((1, 4, 2), -20.0)]
    logits[0][0, 1] = torch.tensor([1.0, 0.0])  # the detector prefers class 0 at step 1
    output = LoCoOutput(logits, [torch.ones(1, 4, 2)], [torch.ones(1, 4, dtype=torch.bool)], None, None, None)
    audio = np.tile([0.05, 0.9], (4, 1))  # the encoders hear class 1
    evidence = [StepEvidence(audio, np.zeros((4, 2)), np.array([True, True]), np.array([False, False]))]
    plain = decode_detections(output, PostprocessConfig(), 2, evidence)[0]
    weighted = decode_detections(output, PostprocessConfig(label_prior_weight=0.5), 2, evidence)[0]
    assert plain[0].label == 0 and weighted[0].label == 1
    p0, p1 = 1 / (1 + np.exp(-1.0)), 0.5
    assert weighted[0].score == pytest.approx(np.sqrt(p1 * 1.0))
    assert {d.label: d.score for d in weighted}[0] == pytest.approx(np.sqrt(p0 * 0.05 / 0.9))


def test_bad_weight_label_space_and_features_raise_typed_errors(tmp_path):
    with pytest.raises(ValueError, match="label_prior_weight"):
        PostprocessConfig(label_prior_weight=1.5)
    bad = tmp_path / "space.json"
    bad.write_text(json.dumps({"classes": {"dog barking": {"audioset": ["Dogg"], "imagenet": []}}}))
    with pytest.raises(LabelSpaceError, match="Dogg"):
        load_label_space(project=bad)
    bad.write_text("not json")
    with pytest.raises(LabelSpaceError, match="unusable"):
        load_label_space(project=bad)
    with pytest.raises(LabelPriorError, match="vggish"):
        LabelPrior(["dog barking"], "vggish")
    with pytest.raises(LabelPriorError, match="fast-profile"):
        LabelPrior(CLASSES).evidence(np.zeros((3, 1024)), np.zeros((3, 128)))


def test_people_classes_see_the_face_cue_and_a_batch_becomes_the_open_vocabulary_input():
    prior = LabelPrior(["man speaking", "dog barking"])
    visual, audio = np.zeros((4, 1280), np.float32), np.zeros((4, 1024), np.float32)
    faces = np.array([[0.0, 0.0], [0.99, 0.3], [0.2, 0.0], [0.0, 0.0]], np.float32)
    without = prior.evidence(visual, audio)
    assert without.visual_mapped.tolist() == [False, True]  # no ImageNet label shows a person speaking
    seen = prior.evidence(visual, audio, {"faces": faces})
    assert seen.visual_mapped.tolist() == [True, True]
    assert seen.visual[:, 0] == pytest.approx(faces[:, 0]) and seen.visual[:, 1] == pytest.approx(without.visual[:, 1])
    batch = batch_evidence(prior, torch.from_numpy(np.stack([visual.T, visual.T])),
                           torch.from_numpy(np.stack([audio.T, audio.T])), [4, 2],
                           {"faces": torch.from_numpy(np.stack([faces.T, faces.T]))})
    assert batch.scores.shape == (2, 2, 2, 4) and batch.mapped.all()
    assert batch.scores[1, :, :, 2:].abs().sum() == 0  # padding
    assert batch.scores[0, 1, 0].tolist() == pytest.approx(faces[:, 0].tolist())
