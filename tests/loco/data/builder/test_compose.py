from __future__ import annotations

import av
import numpy as np
import pytest

from loco.data.builder.compose import background_frame, compose_frame, mix_audio, photo_placement, render_video
from loco.data.builder.plan import Layer, VideoPlan

EVENT = (1.0, 3.0)
PHOTO_ONLY = (4.0, 5.6)
SOUND_ONLY = (6.0, 7.6)


@pytest.fixture(scope="module")
def plan(catalogue, backgrounds) -> VideoPlan:
    dog = catalogue.by_name("dog barking")
    cow = catalogue.by_name("bull bellowing").train[0]
    frog = catalogue.stamp("animals/amphibians/frog")
    common = {"gain_db": 0.0, "x": (0.4, 0.5), "y": (0.5, 0.5), "size": (0.45, 0.5)}
    layers = (
        Layer("event", dog.train[0].key, str(dog.train[0].photo), str(dog.train[0].sound), *EVENT,
              label=dog.name, label_id=dog.label_id, **common),
        Layer("photo_only", cow.key, str(cow.photo), None, *PHOTO_ONLY, **common),
        Layer("sound_only", frog.key, None, str(frog.sound), *SOUND_ONLY, **common),
    )
    background = backgrounds[0]
    return VideoPlan("gt", "train", 8.0, 320, 240, 25, 22050, str(background.path), background.time_range("train"),
                     1.0, 1.0, False, 1.0, -50.0, 1, layers)


def _rms(samples: np.ndarray, span: tuple[float, float], rate: int) -> float:
    return float(np.sqrt(np.mean(samples[int(span[0] * rate) : int(span[1] * rate)] ** 2)))


def _opaque_match(plan: VideoPlan, layer: Layer, frame: np.ndarray, t: float) -> float:
    """Share of the photo's opaque pixels found unchanged in the frame."""
    placed = photo_placement(plan, layer, t)
    h, w = placed.rgba.shape[:2]
    region = frame[placed.top : placed.top + h, placed.left : placed.left + w].astype(int)
    opaque = placed.rgba[..., 3] == 255
    return float((np.abs(region - placed.rgba[..., :3].astype(int)).max(axis=-1)[opaque] <= 12).mean())


def test_photo_is_on_screen_exactly_when_planned(plan):
    event, photo_only, sound_only = plan.layers
    t = 2.0
    assert _opaque_match(plan, event, compose_frame(plan, int(t * plan.fps)), t) == 1.0
    assert _opaque_match(plan, photo_only, compose_frame(plan, int(4.8 * plan.fps)), 4.8) == 1.0
    for quiet in (0.5, 3.5, 6.8):  # nothing visible (6.8 s: only the off-screen sound)
        index = int(quiet * plan.fps)
        assert np.array_equal(compose_frame(plan, index), background_frame(plan, index))
    assert photo_placement(plan, sound_only, 6.8) is None


def test_sound_is_audible_exactly_when_planned(plan):
    audio = mix_audio(plan)
    floor = _rms(audio, (0.2, 0.9), plan.sample_rate)
    assert _rms(audio, EVENT, plan.sample_rate) > 8 * floor
    assert _rms(audio, SOUND_ONLY, plan.sample_rate) > 8 * floor
    assert _rms(audio, PHOTO_ONLY, plan.sample_rate) < 1.5 * floor


def test_only_the_audio_visual_event_is_annotated(plan):
    annotations = plan.annotation_entry()["annotations"]
    assert annotations == [{"segment": list(EVENT), "label": "dog barking", "label_id": plan.layers[0].label_id}]


@pytest.mark.slow
def test_rendered_mp4_carries_the_planned_picture_and_sound(plan, tmp_path):
    path = render_video(plan, tmp_path / "gt.mp4")
    assert [p.name for p in tmp_path.iterdir()] == ["gt.mp4"]
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, audio.codec_context.name) == ("h264", "aac")
        assert (video.width, video.height, audio.rate) == (320, 240, 22050)
        assert abs(float(container.duration / av.time_base) - plan.duration) < 0.2
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == plan.num_frames
    index = int(2.0 * plan.fps)
    placed = photo_placement(plan, plan.layers[0], 2.0)
    box = (slice(max(0, placed.top), placed.top + placed.rgba.shape[0]),
           slice(max(0, placed.left), placed.left + placed.rgba.shape[1]))
    decoded = frames[index][box].astype(float)
    expected, bare = compose_frame(plan, index)[box].astype(float), background_frame(plan, index)[box].astype(float)
    assert np.abs(decoded - expected).mean() < 8
    assert np.abs(decoded - bare).mean() > 3 * np.abs(decoded - expected).mean()
    with av.open(str(path)) as container:
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    floor = _rms(samples, (0.2, 0.9), 22050)
    assert _rms(samples, EVENT, 22050) > 5 * floor
