from dataclasses import dataclass

import numpy as np
import pytest

from loco.grid import UNAV_GRID
from loco.model.internals import LevelAttention, VideoInternals
from studio.explain import (
    PROBE_NOT_FOUND,
    correspondence_reading,
    explain_event,
    probe_verdict,
    voice_sentence,
    weighs_voice,
    window_caption,
)

STEPS = 30  # step t is centred at 0.32 t + 0.48 s
EVENT = (3.0, 4.5)  # steps 8 .. 12


def unit(angles: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def band_around(tokens: int, radius: int, first: int, last: int) -> np.ndarray:
    """Every query attends evenly to its keys ``first .. last`` (those inside the sequence)."""
    band = np.zeros((1, tokens, 2 * radius + 1))
    for i in range(tokens):
        keys = [j for j in range(first, last + 1) if 0 <= i + j < tokens]
        band[0, i, [j + radius for j in keys]] = 1.0 / len(keys)
    return band


def clip_internals() -> VideoInternals:
    """Sound and picture point the same way during the event (steps 8-12) and apart elsewhere; coherence is higher
    in the event; level 0 attends over -2..+3 where CDP predicted -1..+1."""
    event = np.zeros(STEPS, dtype=bool)
    event[8:13] = True
    visual = unit(np.where(event, 0.0, np.linspace(1.0, 2.0, STEPS)))
    audio = unit(np.where(event, 0.0, np.linspace(-1.0, -2.0, STEPS)))
    coherence = np.where(event, 0.9, 0.5)
    return VideoInternals(
        lcc_visual=visual, lcc_audio=audio, coherence_visual=coherence, coherence_audio=coherence,
        gate_visual=np.full(STEPS, 0.7), gate_audio=np.full(STEPS, 0.7),
        cdp_left=[np.ones((1, STEPS))], cdp_right=[np.ones((1, STEPS))],
        attention_maps=[{"visual": LevelAttention(band_around(STEPS, 5, -2, 3), None)}], lcc_band=2,
    )


def test_correspondence_reading_splits_the_rows_at_the_band():
    rows = np.zeros((2, 6))
    rows[0, 1:4] = rows[1, 2:5] = 1.0  # steps 2 and 3, band 1: their cells within one step
    assert correspondence_reading(rows, first_step=2, band=1) == (1.0, 0.0)
    assert correspondence_reading(rows, first_step=2, band=9)[1] is None


def test_explain_event_reads_s_curves_windows_and_the_probe():
    internals = clip_internals()
    explanation = explain_event(internals, UNAV_GRID, "dog", *EVENT, level=0, head=0, direction="visual",
                                probe="audio")
    dense = internals.correspondence[8:13]
    inside = np.abs(np.arange(STEPS)[None, :] - np.arange(8, 13)[:, None]) <= 2
    assert explanation.s_inside == pytest.approx(dense[inside].mean())
    assert explanation.s_outside == pytest.approx(dense[~inside].mean())
    assert explanation.s_inside > explanation.s_outside + 0.1
    coherence = explanation.curves[0]
    assert (coherence.event, coherence.clip_median) == (pytest.approx(0.9), pytest.approx(0.5))
    window = explanation.window
    assert window.tokens == 5 and window.predicted_s == pytest.approx(2 * 0.32)
    assert window.effective_s == pytest.approx(5 * 0.32) and window.duration_s == pytest.approx(1.5)
    said = explanation.sentences()
    assert said[0].startswith("During the event the picture matches the sound of the same moment (within ±0.64 s)")
    assert "better: sound and picture go together here" in said[0]
    assert "coherence visual→audio 0.90 (higher, clip median 0.50)" in said[1]
    assert "gate visual 0.70 (as usual, clip median 0.70)" in said[1]
    assert said[2] == ("At level 0, head 0 (visual stream updated), the 5 tokens inside the event spread 90% of their "
                       "attention over 1.60 s on average, where CDP predicted windows of 0.64 s; the event lasts "
                       "1.50 s, so their attention spans more than the whole event.")
    assert said[3].startswith("Modality probe: audio-only")


def test_explain_event_without_lcc_or_probe():
    internals = clip_internals()
    baseline = VideoInternals(None, None, None, None, None, None, internals.cdp_left, internals.cdp_right,
                              internals.attention_maps)
    said = explain_event(baseline, UNAV_GRID, "dog", *EVENT, level=0, head=0, direction="visual").sentences()
    assert said[0].startswith("This model has no LCC") and said[-1] == "Modality probe: not run yet."
    assert len(said) == 3


@dataclass(frozen=True)
class ProbeRow:
    label: str
    start: float
    end: float
    depends_on: str


def test_probe_verdict_is_the_best_overlapping_row_of_the_same_class():
    rows = [ProbeRow("dog", 3.0, 4.4, "both"), ProbeRow("dog", 3.5, 9.0, "audio"), ProbeRow("cat", 3.0, 4.5, "visual")]
    assert probe_verdict("dog", 3.0, 4.5, rows) == "both"
    assert probe_verdict("dog", 8.0, 9.0, rows) == PROBE_NOT_FOUND
    assert probe_verdict("bird", 3.0, 4.5, rows) == PROBE_NOT_FOUND


def test_the_caption_gives_both_windows_and_says_when_they_disagree():
    stride = 1.28  # level 2
    caption = window_caption(3, 2, 0, predicted=(0.0, 0.03125), effective=(-2, 3), stride_s=stride)
    assert caption == ("Token 3 of level 2: window 0.00 s to the left, 0.04 s to the right (predicted by CDP, head 0); "
                       "effective window 2.56 s to the left, 3.84 s to the right (where 90% of its attention went). "
                       "They disagree: the attention reaches 2.56 s farther to the left and 3.80 s farther to the "
                       "right than predicted.")
    assert window_caption(0, 0, 1, (2.2, 2.9), (-2, 3), 0.32).endswith("They agree.")
    assert "from 0.64 s to 1.28 s to the right" in window_caption(0, 0, 0, (1, 1), (2, 4), 0.32)
    at_the_token = window_caption(0, 0, 0, (0, 1), (0.0, 1), 0.32)  # no key before the token: not "-0.00 s"
    assert "effective window 0.00 s to the left, 0.32 s to the right" in at_the_token


def test_the_voice_reading_gives_the_pitch_and_the_factor_of_the_speaking_classes():
    low = np.tile([[110.0, 0.8]], (40, 1))  # a steady 110 Hz voice, voiced 80 % of each window
    high = 1 / (1 + np.exp(-np.log2(110 / 165) / 0.25))  # 0.088
    said = voice_sentence(UNAV_GRID, "woman speaking", 2.0, 6.0, low, 0.25)
    assert said == ("Voice pitch over the event: 110 Hz, below the 165 Hz boundary between low and high voices; "
                    f"woman speaking needs a high voice, so a detection here gets ×{high:.2f}.")
    assert voice_sentence(UNAV_GRID, "man speaking", 2.0, 6.0, low, 0.25).endswith(f"×{1 - high:.2f}.")
    assert voice_sentence(UNAV_GRID, "man speaking", 2.0, 6.0, np.zeros((40, 2)), 0.25).startswith(
        "Voice pitch: nothing is voiced over the event") and "×0.50" in voice_sentence(
        UNAV_GRID, "man speaking", 2.0, 6.0, np.zeros((40, 2)), 0.25)
    assert "extracted before the voice-pitch stream" in voice_sentence(UNAV_GRID, "man speaking", 2.0, 6.0, None, 0.25)
    assert voice_sentence(UNAV_GRID, "dog barking", 2.0, 6.0, low, 0.25) is None  # no voice register
    assert voice_sentence(UNAV_GRID, "man speaking", 2.0, 6.0, low, 0.0) is None  # a model that does not weigh
    assert weighs_voice("woman speaking", 0.25) and not weighs_voice("woman speaking", 0.0)
    assert not weighs_voice("dog barking", 0.25)
