"""UnAV-100 / ActivityNet JSON: ground truth ``{"database": {vid: {subset, duration, annotations}}}`` and evaluation
predictions ``{"results": {vid: [{segment, label, label_id, score}]}}`` (the training and evaluation code read these)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from storage.errors import FormatError
from storage.events import NewEvent
from storage.views import EventView


def _annotation(event: EventView) -> dict[str, Any]:
    return {"segment": [event.start, event.end], "label": event.label, "label_id": event.label_id}


def dump_ground_truth(events: Sequence[EventView], videos: Mapping[str, Mapping[str, Any]]) -> str:
    """``videos``: video id -> {"duration", "subset"}; videos without events are written with an empty list."""
    database: dict[str, dict] = {
        video_id: {"subset": meta.get("subset") or "train", "duration": meta["duration"], "annotations": []}
        for video_id, meta in videos.items()
    }
    for event in events:
        database[event.video_id]["annotations"].append(_annotation(event))
    return json.dumps({"database": database}, ensure_ascii=False, indent=1)


def dump_predictions(events: Sequence[EventView]) -> str:
    results: dict[str, list] = {}
    for event in events:
        results.setdefault(event.video_id, []).append({**_annotation(event), "score": event.score})
    return json.dumps({"version": "loco", "results": results}, ensure_ascii=False, indent=1)


def _parse(text: str | bytes, key: str) -> dict:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FormatError(f"not valid JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise FormatError(f'expected a JSON object with a "{key}" object')
    return data[key]


def _event(video_id: str, item: Any, where: str, label_names: Sequence[str] | None, with_score: bool) -> NewEvent:
    try:
        start, end = (float(x) for x in item["segment"])
        label = item.get("label")
        if label is None:
            if label_names is None:
                raise KeyError("label")
            label = label_names[int(item["label_id"])]
        score = float(item["score"]) if with_score else None
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise FormatError(f"{where}: malformed annotation {str(item)[:120]} ({type(error).__name__}: {error})") from None
    return NewEvent(video_id, start, end, label, score)


def load_ground_truth(text: str | bytes,
                      label_names: Sequence[str] | None = None) -> tuple[dict[str, dict], list[NewEvent]]:
    """Videos (id -> {"duration", "subset"}) and their events. ``label_names`` resolves entries with only a label_id."""
    videos, events = {}, []
    for video_id, entry in _parse(text, "database").items():
        if not isinstance(entry, dict) or "duration" not in entry:
            raise FormatError(f"video {video_id}: needs a duration")
        videos[video_id] = {"duration": entry["duration"], "subset": entry.get("subset")}
        for index, item in enumerate(entry.get("annotations") or []):
            events.append(_event(video_id, item, f"video {video_id} annotation {index}", label_names, False))
    return videos, events


def load_predictions(text: str | bytes, label_names: Sequence[str] | None = None) -> list[NewEvent]:
    events = []
    for video_id, items in _parse(text, "results").items():
        for index, item in enumerate(items or []):
            events.append(_event(video_id, item, f"video {video_id} prediction {index}", label_names, True))
    return events
