from dataclasses import replace

import librosa
import numpy as np
import pytest

from loco.grid import UNAV_GRID
from loco.model.internals import LevelAttention, VideoInternals
from studio.viz import (
    TimelineEvent,
    attention_figure,
    audio_rows,
    banded,
    cdp_window_segments,
    correspondence_figure,
    curves_figure,
    internals_figure,
    lane_order,
    timeline_figure,
    token_at,
)
from studio.viz.audio import audio_rows_of_blocks
from studio.viz.internals import MAX_CELLS, MAX_CURVE_POINTS, decimate, token_span
from studio.viz.timeline import score_opacity

EVENTS = [
    TimelineEvent(1, "dog barking", 1.0, 4.0, None, "ground truth"),
    TimelineEvent(2, "dog barking", 1.2, 3.9, 0.8, "prediction", "proposed"),
    TimelineEvent(3, "playing guitar", 0.5, 2.0, 0.2, "prediction", "proposed"),
    TimelineEvent(4, "playing guitar", 5.0, 7.0, None, "corrected", "added"),
]


def test_timeline_bars_use_base_and_duration_in_seconds():
    fig = timeline_figure(EVENTS, duration=10.0)
    traces = {t.name: t for t in fig.data}
    assert set(traces) == {"ground truth", "prediction", "corrected"}
    pred = traces["prediction"]
    assert list(pred.base) == [1.2, 0.5]
    assert list(pred.x) == pytest.approx([2.7, 1.5])
    assert list(pred.y) == ["dog barking", "playing guitar"]
    assert [row[0] for row in pred.customdata] == [2, 3]  # event ids travel with the bars
    assert pred.marker.opacity[0] > pred.marker.opacity[1]  # higher score, more opaque
    assert list(fig.layout.xaxis.range) == [0.0, 10.0]
    assert fig.layout.barmode == "group"


def test_lane_order_follows_taxonomy_then_first_start():
    assert lane_order(EVENTS, ["playing guitar", "cat", "dog barking"]) == ["playing guitar", "dog barking"]
    assert lane_order(EVENTS) == ["playing guitar", "dog barking"]


def test_score_opacity_unscored_is_opaque():
    assert score_opacity([None, 0.0, 1.0, 2.0]) == [1.0, 0.25, 1.0, 1.0]


def test_timeline_highlights_selection_and_adds_audio_rows():
    sr = 16000
    t = np.arange(sr * 10) / sr
    samples = np.where((t > 2) & (t < 3), np.sin(2 * np.pi * 440 * t), 0.0).astype(np.float32)
    rows = audio_rows(samples, sr)
    assert rows.envelope_max.max() == pytest.approx(1.0, abs=1e-3)
    loud = rows.envelope_times[rows.envelope_max > 0.5]
    assert loud.min() > 1.9 and loud.max() < 3.1  # the tone is where it was played
    assert rows.spectrogram_db.shape[0] == 64 and rows.spectrogram_db.shape[1] <= 801
    fig = timeline_figure(EVENTS, duration=10.0, selected_event_id=2, audio=rows, playhead=3.0)
    assert len(fig.layout.shapes) >= 2
    rect = [s for s in fig.layout.shapes if s.type == "rect"][0]
    assert (rect.x0, rect.x1) == (1.2, 3.9)
    assert any(t.type == "heatmap" for t in fig.data)
    with pytest.raises(ValueError):
        audio_rows(samples, 0)


def make_internals(steps=20, heads=2, levels=3, radius=3):
    rng = np.random.default_rng(0)
    tokens = [(steps + 2**level - 1) // 2**level for level in range(levels)]
    att = []
    for n in tokens:
        band = rng.random((heads, n, 2 * radius + 1))
        maps = LevelAttention(band / band.sum(-1, keepdims=True), None)
        att.append({"visual": maps, "audio": maps})
    return VideoInternals(
        lcc_visual=rng.normal(size=(steps, 4)), lcc_audio=rng.normal(size=(steps, 4)),
        coherence_visual=rng.random(steps), coherence_audio=rng.random(steps),
        gate_visual=rng.random(steps), gate_audio=rng.random(steps),
        cdp_left=[np.full((heads, n), 2.0) for n in tokens],
        cdp_right=[np.full((heads, n), 1.0) for n in tokens],
        attention_maps=att, lcc_band=2,
    )


def without_lcc(internals: VideoInternals) -> VideoInternals:
    return replace(internals, lcc_visual=None, lcc_audio=None, coherence_visual=None, coherence_audio=None,
                   gate_visual=None, gate_audio=None)


def test_banded_blanks_outside_the_band():
    m = banded(np.ones((5, 5)), 1)
    assert np.isnan(m[0, 2]) and m[0, 1] == 1 and m[4, 3] == 1
    pooled = banded(np.ones((4, 4)), 1, steps=np.array([5.0, 15.0, 25.0, 35.0]))  # cells of 10 steps
    assert pooled[0, 1] == 1 and np.isnan(pooled[0, 2])


def test_correspondence_heatmap_is_on_step_centre_seconds():
    internals = make_internals()
    fig = correspondence_figure(internals, UNAV_GRID, band=2, selected=(1.0, 2.0))
    heat = fig.data[0]
    assert heat.x[0] == pytest.approx(0.48) and heat.x[1] == pytest.approx(0.80)
    assert np.isnan(np.asarray(heat.z, dtype=float)[0, 5])
    with pytest.raises(ValueError, match="LCC"):
        correspondence_figure(without_lcc(make_internals()), UNAV_GRID)


def test_long_runs_are_drawn_at_a_bounded_level_of_detail():
    internals = make_internals(steps=5000, levels=2)
    fig = correspondence_figure(internals, UNAV_GRID)
    assert np.asarray(fig.data[0].z).shape == (MAX_CELLS, MAX_CELLS) == (200, 200)  # pooled: means of 25 steps
    window = (100.0, 130.0)  # 94 steps: exact
    fig = internals_figure(internals, UNAV_GRID, window=window, token=400)
    heat = fig.data[0]
    assert len(heat.x) == 94 and heat.x[0] >= 100.0 and heat.x[-1] <= 130.0
    assert all(len(t.x) <= MAX_CURVE_POINTS for t in fig.data if t.type == "scatter")
    whole = curves_figure(internals, UNAV_GRID)
    assert len(whole.data[0].x) == MAX_CURVE_POINTS and max(whole.data[0].y) == pytest.approx(internals.coherence_visual.max())
    att = attention_figure(internals, UNAV_GRID, level=1, head=0, direction="audio", window=window)
    assert att.data[0].z.shape == (47, 47)


def test_decimate_keeps_peaks():
    x, y = np.arange(10_000.0), np.zeros(10_000)
    y[1234] = 5.0
    dx, dy = decimate(x, y, 100)
    assert len(dx) == 100 and dy.max() == 5.0


def test_token_span_covers_the_window():
    assert token_span(UNAV_GRID, 0, (0.48, 1.12), 100) == (0, 3)
    assert token_span(UNAV_GRID, 1, (0.0, 999.0), 10) == (0, 10)
    assert token_span(UNAV_GRID, 0, None, 7) == (0, 7)


def test_cdp_windows_extend_left_and_right_in_level_tokens():
    xs, ys = cdp_window_segments(np.array([2.0, 1.0]), np.array([1.0, 0.5]), UNAV_GRID, level=1)
    # level-1 token 1 sits at step 2 (1.12 s); one level-1 token spans 0.64 s
    assert xs[3] == pytest.approx(1.12 - 0.64) and xs[4] == pytest.approx(1.12 + 0.32)
    assert ys[3] == ys[4] == pytest.approx(1.12) and np.isnan(xs[5])


def test_token_at_and_internals_figure():
    internals = make_internals()
    assert token_at(UNAV_GRID, 0, 0.48, 20) == 0
    assert token_at(UNAV_GRID, 1, 1.12, 10) == 1
    assert token_at(UNAV_GRID, 2, 999.0, 5) == 4
    fig = internals_figure(internals, UNAV_GRID, level=1, head=1, direction="audio", token=3, band=2,
                           selected=(1.0, 2.0), duration=7.0)
    names = [t.name for t in fig.data]
    assert "S" in names and "gate visual" in names and "attention of token 3" in names
    row = next(t for t in fig.data if t.name == "attention of token 3")
    assert list(row.y) == pytest.approx(list(internals.attention[1]["audio"][1][3][0:7]))  # keys 0..6 of token 3
    assert curves_figure(internals, UNAV_GRID).data[0].x[0] == pytest.approx(0.48)
    att = attention_figure(internals, UNAV_GRID, level=0, head=0, direction="visual", token=2)
    assert att.data[0].z.shape == (20, 20)
    np.testing.assert_allclose(att.data[0].z, internals.attention[0]["visual"][0], rtol=1e-5)
    with pytest.raises(ValueError, match="direction"):
        attention_figure(internals, UNAV_GRID, level=0, head=0, direction="sideways")


def test_internals_figure_without_lcc_still_shows_windows():
    fig = internals_figure(without_lcc(make_internals()), UNAV_GRID)
    assert [t.name for t in fig.data][0].startswith("CDP window")


def test_timeline_draws_extra_layers_for_model_comparison():
    events = [TimelineEvent(1, "dog", 0, 1, 0.9, "model A"), TimelineEvent(2, "dog", 0.5, 1.5, 0.4, "model B")]
    fig = timeline_figure(events, duration=5.0)
    assert [t.name for t in fig.data] == ["model A", "model B"]
    assert fig.data[0].marker.color != fig.data[1].marker.color


def test_audio_rows_stream_in_blocks_and_match_librosa():
    sr = 16000
    t = np.arange(sr * 10) / sr
    samples = (np.sin(2 * np.pi * 440 * t) * (t > 2) + 0.01 * np.cos(2 * np.pi * 3000 * t)).astype(np.float32)
    whole = audio_rows(samples, sr)
    blocks = audio_rows_of_blocks((samples[i:i + 7777] for i in range(0, samples.size, 7777)), sr, samples.size)
    for name in ("envelope_times", "envelope_min", "envelope_max", "spectrogram_times", "spectrogram_db"):
        np.testing.assert_allclose(getattr(blocks, name), getattr(whole, name), atol=1e-4)
    mel = librosa.feature.melspectrogram(y=samples, sr=sr, n_fft=1024, hop_length=256, n_mels=64)
    np.testing.assert_allclose(whole.spectrogram_db, librosa.power_to_db(mel, ref=np.max(mel), top_db=80.0),
                               atol=1e-2)
    cropped = audio_rows_of_blocks([samples], sr, samples.size, buckets=4000, max_frames=2000).crop(2.0, 4.0, 100, 50)
    assert len(cropped.envelope_times) == 100 and cropped.spectrogram_db.shape == (64, 50)
    assert cropped.envelope_times[0] >= 2.0 and cropped.envelope_max.max() == pytest.approx(1.0, abs=0.02)
