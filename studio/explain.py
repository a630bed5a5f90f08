"""Why this event? What the model's internals say about one event, in a few plain sentences and the numbers behind
them, and the caption that sets a token's predicted CDP window beside the window its attention actually used.

Each reading compares the event with its own clip, so none needs a threshold fitted to a model:

- **correspondence**: the mean ``S`` between the event's visual steps and the audio steps inside the local band
  ``|t - s| <= w``, against the audio steps outside it (the rest of the clip): does the picture during the event match
  the sound of the same moment better than sound from elsewhere?
- **coherence and gates** over the event's steps against their median over the clip;
- **attention windows**: the tokens inside the event at the level, head and direction shown, their predicted CDP
  window and their effective window (``loco.model.effective_window``) against the event's duration;
- the **modality probe**'s verdict (``studio.probes``), when it has been run: which stream the detection needs;
- the **voice pitch**, for man and woman speaking when the model weighs them by it (``loco.model.voice_pitch``): the
  pitch over the event and the factor a detection there gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from loco.evaluate import segment_iou
from loco.grid import FeatureGrid
from loco.model.effective_window import EFFECTIVE_MASS, level_effective_windows
from loco.model.internals import VideoInternals
from loco.model.voice_pitch import BOUNDARY_HZ, VOICE_REGISTERS, pitch_factor, span_pitch
from studio.viz.internals import token_span

CURVE_NAMES = (
    ("coherence_visual", "coherence visual→audio"),
    ("coherence_audio", "coherence audio→visual"),
    ("gate_visual", "gate visual"),
    ("gate_audio", "gate audio"),
)
SAME_LEVEL = 0.05
"""Curves within this of the clip's median read "as usual"; an S difference within twice it reads "about the same"."""
AGREE_TOKENS = 1.0
"""The windows agree when each edge differs by at most this many tokens (the soft edge's width κ)."""
PROBE_NOT_FOUND = "not found"
PROBE_VERDICTS = {
    "audio": "audio-only: it keeps its score with the picture blanked and loses it without the sound",
    "visual": "visual-only: it keeps its score with the sound blanked and loses it without the picture",
    "both": "both: blanking either stream loses it, so it needs sound and picture together",
    "either": "either stream alone: it keeps its score with the sound blanked and with the picture blanked",
    PROBE_NOT_FOUND: "the probe's own run did not find it (same class, temporal IoU 0.5 or more)",
}


@dataclass(frozen=True)
class CurveReading:
    name: str
    event: float  # mean over the event's steps
    clip_median: float


@dataclass(frozen=True)
class WindowReading:
    level: int
    head: int
    direction: str  # the stream updated
    tokens: int  # tokens of the level inside the event
    predicted_s: float  # mean predicted width δL + δR over those tokens, seconds
    effective_s: float  # mean effective width (last - first key offset), seconds
    duration_s: float  # the event's
    mass: float = EFFECTIVE_MASS


@dataclass(frozen=True)
class EventExplanation:
    label: str
    start: float
    end: float
    band_s: float | None  # half-width w of the local band, seconds (None without LCC)
    s_inside: float | None  # mean S, event's visual steps x audio steps inside the band
    s_outside: float | None  # ... x audio steps outside it (None when the band covers the clip)
    curves: tuple[CurveReading, ...]
    window: WindowReading
    probe: str | None  # a key of PROBE_VERDICTS; None: the probe has not been run
    voice: str | None = None  # the voice-pitch reading (:func:`voice_sentence`); None where it does not apply

    def sentences(self) -> list[str]:
        """The explanation in plain words, one reading per sentence."""
        said = [_correspondence_sentence(self)] if self.band_s is not None else [
            "This model has no LCC, so there is no correspondence S, coherence or gate to read."]
        if self.curves:
            said.append(_curves_sentence(self.curves))
        said.append(_window_sentence(self.window))
        said.append("Modality probe: not run yet." if self.probe is None else
                    f"Modality probe: {PROBE_VERDICTS[self.probe]}.")
        if self.voice is not None:
            said.append(self.voice)
        return said


def _compare(difference: float, tolerance: float) -> str:
    return "as usual" if abs(difference) <= tolerance else "higher" if difference > 0 else "lower"


def _correspondence_sentence(e: EventExplanation) -> str:
    said = (f"During the event the picture matches the sound of the same moment (within ±{e.band_s:.2f} s) at "
            f"mean S {e.s_inside:.2f}")
    if e.s_outside is None:
        return said + "; the band covers the whole clip, so there is nothing to compare it with."
    difference = e.s_inside - e.s_outside
    verdict = {"as usual": "about as well: S does not single this moment out",
               "higher": "better: sound and picture go together here",
               "lower": "worse: this picture goes with sound from elsewhere more than with its own"}
    return (f"{said}, and the sound of the rest of the clip at {e.s_outside:.2f}, "
            f"{verdict[_compare(difference, 2 * SAME_LEVEL)]}.")


def _curves_sentence(curves: Sequence[CurveReading]) -> str:
    parts = [f"{c.name} {c.event:.2f} ({_compare(c.event - c.clip_median, SAME_LEVEL)}, clip median "
             f"{c.clip_median:.2f})" for c in curves]
    return "Over the event: " + "; ".join(parts) + "."


def _window_sentence(w: WindowReading) -> str:
    share = w.effective_s / w.duration_s if w.duration_s > 0 else float("inf")
    cover = "more than the whole event" if share > 1 else f"{share:.0%} of the event's length"
    return (f"At level {w.level}, head {w.head} ({w.direction} stream updated), the {w.tokens} token"
            f"{'s' if w.tokens != 1 else ''} inside the event spread {w.mass:.0%} of their attention over "
            f"{w.effective_s:.2f} s on average, where CDP predicted windows of {w.predicted_s:.2f} s; the event "
            f"lasts {w.duration_s:.2f} s, so their attention spans {cover}.")


def correspondence_reading(rows: np.ndarray, first_step: int, band: int) -> tuple[float, float | None]:
    """``(mean S inside the band, mean S outside it or None)`` of the event's rows of ``S`` (``[n, T]``: visual steps
    ``first_step .. first_step + n - 1`` against every audio step)."""
    offsets = np.abs(np.arange(rows.shape[1])[None, :] - (first_step + np.arange(rows.shape[0]))[:, None])
    inside = offsets <= band
    return float(rows[inside].mean()), (float(rows[~inside].mean()) if (~inside).any() else None)


def curve_readings(internals: VideoInternals, first: int, stop: int) -> tuple[CurveReading, ...]:
    """The mean of each LCC curve over steps ``first .. stop-1`` against its median over the clip."""
    return tuple(CurveReading(name, float(np.mean(getattr(internals, key)[first:stop])),
                              float(np.median(getattr(internals, key))))
                 for key, name in CURVE_NAMES if getattr(internals, key) is not None)


def window_reading(internals: VideoInternals, grid: FeatureGrid, start: float, end: float, level: int, head: int,
                   direction: str, mass: float = EFFECTIVE_MASS) -> WindowReading:
    """The predicted and effective windows of the level's tokens inside ``[start, end]``, in seconds."""
    left, right = internals.cdp_left[level][head], internals.cdp_right[level][head]
    tokens = np.arange(*token_span(grid, level, (start, end), len(left)))
    first, last = level_effective_windows(internals.attention_maps[level][direction], head, mass, tokens)
    stride_s = grid.level_stride_seconds(level)
    return WindowReading(level, head, direction, len(tokens), float(np.mean(left[tokens] + right[tokens])) * stride_s,
                         float(np.nanmean(last - first)) * stride_s, end - start, mass)


def probe_verdict(label: str, start: float, end: float, rows: Sequence, min_tiou: float = 0.5) -> str:
    """The verdict (``depends_on``) of the probe row that is this event: same label, the best temporal IoU of at
    least ``min_tiou``; :data:`PROBE_NOT_FOUND` when none is."""
    same = [r for r in rows if r.label == label]
    if not same:
        return PROBE_NOT_FOUND
    overlaps = segment_iou([start, end], [[r.start, r.end] for r in same])
    best = int(np.argmax(overlaps))
    return same[best].depends_on if overlaps[best] >= min_tiou else PROBE_NOT_FOUND


def weighs_voice(label: str, width: float) -> bool:
    """Whether a model whose ``postprocess.voice_pitch_width`` is ``width`` weighs ``label`` by the voice pitch (only
    then is the run's pitch stream worth reading)."""
    return width > 0 and VOICE_REGISTERS.get(label, 0) != 0


def voice_sentence(grid: FeatureGrid, label: str, start: float, end: float, pitch: np.ndarray | None,
                   width: float) -> str | None:
    """How the voice pitch weighs a ``label`` detection over [start, end] s, for a model whose
    ``postprocess.voice_pitch_width`` is ``width``, from the run's pitch stream [T, 2] (None: its features predate
    the stream); None for a class without a voice register or a model that does not weigh by pitch."""
    if not weighs_voice(label, width):
        return None
    register = VOICE_REGISTERS[label]
    if pitch is None:
        return ("Voice pitch: this video's features were extracted before the voice-pitch stream, so the model "
                "could not weigh this class by it.")
    steps = np.asarray(grid.seconds_to_step(np.array([[start, end]])), dtype=np.float64)
    f0 = float(span_pitch(pitch, steps)[0])
    factor = float(pitch_factor(np.array([f0]), np.array([register]), width)[0])
    voice = "a high voice" if register > 0 else "a low voice"
    if not np.isfinite(f0):
        return f"Voice pitch: nothing is voiced over the event, so a {label} detection here gets ×{factor:.2f}."
    side = "above" if f0 > BOUNDARY_HZ else "below"
    return (f"Voice pitch over the event: {f0:.0f} Hz, {side} the {BOUNDARY_HZ:.0f} Hz boundary between low and high "
            f"voices; {label} needs {voice}, so a detection here gets ×{factor:.2f}.")


def explain_event(internals: VideoInternals, grid: FeatureGrid, label: str, start: float, end: float, *,
                  level: int, head: int, direction: str, probe: str | None = None, voice: str | None = None,
                  mass: float = EFFECTIVE_MASS) -> EventExplanation:
    """One event's explanation from the run's internals, at the level, head and direction the page shows; ``probe``
    is the modality probe's verdict for it (:func:`probe_verdict`), None when the probe has not been run; ``voice``
    its voice-pitch reading (:func:`voice_sentence`)."""
    first, stop = token_span(grid, 0, (start, end), internals.num_steps)
    band_s = s_inside = s_outside = None
    if internals.has_lcc:
        rows = internals.lcc_visual[first:stop].astype(np.float32) @ internals.lcc_audio.astype(np.float32).T
        s_inside, s_outside = correspondence_reading(rows, first, internals.lcc_band)
        band_s = internals.lcc_band * grid.hop_seconds
    return EventExplanation(label, start, end, band_s, s_inside, s_outside, curve_readings(internals, first, stop),
                            window_reading(internals, grid, start, end, level, head, direction, mass), probe, voice)


def window_caption(token: int, level: int, head: int, predicted: tuple[float, float], effective: tuple[float, float],
                   stride_s: float, mass: float = EFFECTIVE_MASS) -> str:
    """One token's two windows in words: CDP's prediction ``(δL, δR)`` and the effective window ``(first, last)``
    key offsets (tokens), and whether they disagree (an edge more than :data:`AGREE_TOKENS` apart)."""
    left, right = predicted
    first, last = effective
    said = (f"Token {token} of level {level}: window {left * stride_s:.2f} s to the left, {right * stride_s:.2f} s to "
            f"the right (predicted by CDP, head {head}); effective window {_span_words(first, last, stride_s)} "
            f"(where {mass:.0%} of its attention went).")
    left_excess, right_excess = -first - left, last - right
    if max(abs(left_excess), abs(right_excess)) <= AGREE_TOKENS:
        return said + " They agree."
    parts = [f"{abs(excess) * stride_s:.2f} s {'farther' if excess > 0 else 'less far'} to the {side}"
             for excess, side in ((left_excess, "left"), (right_excess, "right")) if abs(excess) > AGREE_TOKENS]
    return said + " They disagree: the attention reaches " + " and ".join(parts) + " than predicted."


def _span_words(first: float, last: float, stride_s: float) -> str:
    if first > 0:
        return f"from {first * stride_s:.2f} s to {last * stride_s:.2f} s to the right"
    if last < 0:
        return f"from {-first * stride_s:.2f} s to {-last * stride_s:.2f} s to the left"
    return f"{abs(first) * stride_s:.2f} s to the left, {last * stride_s:.2f} s to the right"  # first ≤ 0: no "-0.00"
