"""Which classes a model scores and how, and an open-vocabulary model scoring the taxonomy's classes it has no
examples of: trained classes, classes scored by their labels alone, classes nothing perceives (left out), and a
closed-set model that names only its own classes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from loco.checkpoint import LABEL_SPACE_ONLY, NOT_SCORED, TRAINED, LoadedModel
from loco.config import Config, OpenVocabularyConfig
from loco.data.unav import VideoSample, collate_videos
from loco.grid import UNAV_GRID
from loco.infer import label_prior_of, pad_multiple, predict_batch, predict_features
from loco.label_space import ClassLabels, head_labels
from loco.model import build_model
from loco.model.open_vocabulary import UNSCORED_LOGIT
from tests.loco.model.conftest import tiny_config

OWN = ["dog barking", "thunder"]


def label_space() -> dict[str, ClassLabels]:
    heads = head_labels()
    audio, imagenet, kinetics = (dict((n, i) for i, n in enumerate(heads.names(s)))
                                 for s in ("audioset", "imagenet", "kinetics"))
    return {
        "dog barking": ClassLabels("dog barking", (audio["Bark"],), (imagenet["beagle"],), ()),
        "thunder": ClassLabels("thunder", (audio["Thunder"],), reasons=(("imagenet", "none"), ("kinetics", "none"))),
        "man speaking": ClassLabels("man speaking", (audio["Speech"],), (), (), faces=True,
                                    reasons=(("imagenet", "no label"), ("kinetics", "no label"))),
        "rope skipping": ClassLabels("rope skipping", (), (), (kinetics["skipping rope"],),
                                     reasons=(("audioset", "no such sound"), ("imagenet", "no such photo"))),
    }


def ov_model(open_vocabulary: OpenVocabularyConfig | None = None) -> LoadedModel:
    """A tiny open-vocabulary model on fast-profile dims; 'dog barking' had training examples, 'thunder' none."""
    cfg = tiny_config(visual_dim=1280, audio_dim=1024, num_classes=len(OWN),
                      open_vocabulary=open_vocabulary or OpenVocabularyConfig(enabled=True))
    model = build_model(cfg, seed=0).eval()
    model.open_vocabulary.examples[0] = 7.0
    return LoadedModel(model, Config(model=cfg), list(OWN), "fast", UNAV_GRID)


TAXONOMY = ["man speaking", "dog barking", "rope skipping", "thunder", "a class nobody mapped"]


def test_each_class_is_trained_scored_by_label_space_only_or_not_scored_and_says_why():
    scoring = {s.name: s for s in ov_model().class_scoring(TAXONOMY, label_space())}
    assert scoring["dog barking"].how == TRAINED
    assert "training examples" in scoring["dog barking"].why and "AudioSet" in scoring["dog barking"].why
    assert scoring["thunder"].how == LABEL_SPACE_ONLY and "no training example" in scoring["thunder"].why
    assert scoring["man speaking"].how == LABEL_SPACE_ONLY
    assert scoring["man speaking"].why == "its labels in AudioSet, the face cue"
    assert scoring["rope skipping"].how == NOT_SCORED  # Kinetics labels only: the i3d profile's, not fast's
    assert "no stream of the fast profile" in scoring["rope skipping"].why
    assert "no such sound" in scoring["rope skipping"].why
    assert scoring["a class nobody mapped"].how == NOT_SCORED and "no entry" in scoring["a class nobody mapped"].why


def test_named_on_the_detections_a_class_needs_a_label_of_the_streams_that_name_it():
    space = {**label_space(), "soup": ClassLabels("soup", (), (head_labels().names("imagenet").index("soup bowl"),),
                                                  (), reasons=(("audioset", "no slurping"), ("kinetics", "none")))}
    loaded = ov_model()
    for streams, soup in (("audio_visual", LABEL_SPACE_ONLY), ("audio", NOT_SCORED)):
        postprocess = replace(loaded.config.postprocess, untrained_naming="detections", naming_streams=streams)
        named = replace(loaded, config=replace(loaded.config, postprocess=postprocess))
        scoring = {s.name: s for s in named.class_scoring(["thunder", "soup"], space)}
        assert scoring["thunder"].why == ("its labels in AudioSet, on the spans where it detects a trained class "
                                          "(no training example)")
        assert scoring["soup"].how == soup
    assert "no AudioSet label" in scoring["soup"].why and "no slurping" in scoring["soup"].why


def test_without_class_terms_every_class_is_scored_by_its_labels():
    training_free = OpenVocabularyConfig(enabled=True, fixed_calibration=True, agnostic_weight_init=0.0,
                                         class_terms=False)
    scoring = ov_model(training_free).class_scoring(OWN, label_space())
    assert [s.how for s in scoring] == [LABEL_SPACE_ONLY, LABEL_SPACE_ONLY]


def test_with_classes_adds_what_the_label_space_perceives_after_the_own_classes():
    loaded = ov_model()
    extended = loaded.with_classes(TAXONOMY, label_space())
    assert extended.class_names == OWN + ["man speaking"]
    assert extended.label_space == label_space() and extended.model is loaded.model
    assert loaded.class_names == OWN  # the original is unchanged
    assert extended.with_classes(TAXONOMY, label_space()).class_names == extended.class_names
    assert {s.name: s.how for s in extended.class_scoring(extended.class_names, label_space())} == {
        "dog barking": TRAINED, "thunder": LABEL_SPACE_ONLY, "man speaking": LABEL_SPACE_ONLY}


def test_the_added_classes_are_scored_from_their_label_space_evidence():
    extended = ov_model().with_classes(TAXONOMY, label_space())
    generator = torch.Generator().manual_seed(0)
    steps = 20
    faces = torch.zeros(2, steps)
    faces[0, 5:15] = 0.99
    sample = VideoSample("v", torch.randn(1280, steps, generator=generator),
                         torch.randn(1024, steps, generator=generator), torch.zeros(0, 2),
                         torch.zeros(0, dtype=torch.int64), 7.0, {"faces": faces})
    batch = collate_videos([sample], pad_multiple=pad_multiple(extended.config.model.pyramid_levels))
    prior = label_prior_of(extended)
    assert prior.face_classes.tolist() == [False, False, True]
    output, (events,) = predict_batch(extended, batch, prior)
    logits = output.cls_logits[0][0]
    assert logits.shape == (batch.visual.shape[-1], 3)
    assert (logits[:steps] > UNSCORED_LOGIT).all()  # every class is scored, the added one by its labels
    assert {e.label for e in events} <= set(extended.class_names)
    without_faces = predict_batch(extended, replace(batch, cues={}), prior)[0].cls_logits[0][0]
    assert not torch.allclose(logits[5:15, 2], without_faces[5:15, 2])  # the face cue is its visual evidence
    assert torch.allclose(logits[:, :2], without_faces[:, :2])


def test_a_closed_set_model_names_only_its_own_classes():
    cfg = tiny_config(visual_dim=1280, audio_dim=1024, num_classes=len(OWN))
    closed = LoadedModel(build_model(cfg, seed=0).eval(), Config(model=cfg), list(OWN), "fast", UNAV_GRID)
    assert not closed.open_vocabulary
    extended = closed.with_classes(TAXONOMY, label_space())
    assert extended.class_names == OWN and extended.label_space == label_space()
    scoring = {s.name: s for s in closed.class_scoring(TAXONOMY, label_space())}
    assert scoring["thunder"].how == TRAINED
    assert scoring["man speaking"].how == NOT_SCORED and "closed-set" in scoring["man speaking"].why
    events = predict_features(extended, np.zeros((12, 1280), np.float32), np.zeros((12, 1024), np.float32), 4.5)
    assert {e.label for e in events.events} <= set(OWN)


@pytest.mark.parametrize("profile", ["fast", "i3d"])
def test_what_a_profile_perceives(profile):
    rope = label_space()["rope skipping"]
    assert rope.perceived_on(profile) == (() if profile == "fast" else ("kinetics",))
    assert label_space()["man speaking"].perceived_on(profile) == (("audioset", "faces") if profile == "fast"
                                                                   else ("audioset",))
