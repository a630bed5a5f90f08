"""WebVTT subtitles (webvtt-py): shown under the player because ``st.video`` seeks only to whole seconds.
Cue text is escaped (``&``, ``<``, ``>``) as the WebVTT spec requires, so labels with markup show as text."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence

import webvtt

from storage.views import EventView


def _timestamp(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def dump_webvtt(events: Sequence[EventView], with_scores: bool = True) -> str:
    vtt = webvtt.WebVTT()
    for e in sorted(events, key=lambda e: (e.start, e.end, e.event_id)):
        text = html.escape(e.label, quote=False)
        if with_scores and e.score is not None:
            text += f" ({e.score:.2f})"
        vtt.captions.append(webvtt.Caption(_timestamp(e.start), _timestamp(e.end), text, identifier=f"event-{e.event_id}"))
    buffer = io.StringIO()
    vtt.write(buffer)
    return buffer.getvalue()
