"""ELAN .eaf (pympi-ling): one tier per class, millisecond boundaries, the video linked; the XML writer escapes the
text."""

from __future__ import annotations

import mimetypes
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote
from xml.etree.ElementTree import ParseError

from pympi import Elan

from storage.errors import FormatError
from storage.events import NewEvent
from storage.formats.lanes import class_tiers
from storage.views import EventView


def dump_eaf(events: Sequence[EventView], media_name: str | None = None) -> bytes:
    """``media_name`` (the video's own file name) becomes the MEDIA_DESCRIPTOR, relative to the .eaf, so ELAN opens
    the video when it lies beside the exported file. Only its last part is used, as a URL: never a server path."""
    eaf = Elan.Eaf(author="LoCo Studio")
    name = re.split(r"[\\/]", media_name or "")[-1].strip()
    if name:
        eaf.add_linked_file(f"file:///{quote(name)}", relpath=f"./{quote(name)}",
                            mimetype=mimetypes.guess_type(name)[0] or "unknown")
    for tier, tier_events in class_tiers(events).items():
        eaf.add_tier(tier)
        for e in tier_events:
            eaf.add_annotation(tier, int(round(e.start * 1000)), int(round(e.end * 1000)), e.label)
    eaf.remove_tier("default")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.eaf"
        Elan.to_eaf(str(path), eaf, pretty=True)
        return path.read_bytes()


def load_eaf(data: bytes, video_id: str) -> list[NewEvent]:
    """Every alignable annotation of every tier; its text is the label."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "import.eaf"
        path.write_bytes(data)
        try:
            eaf = Elan.Eaf(str(path), suppress_version_warning=True)
        except (ParseError, KeyError, ValueError) as error:
            raise FormatError(f"not a readable ELAN file: {error}") from None
    events = []
    for tier in eaf.get_tier_names():
        for start_ms, end_ms, value in eaf.get_annotation_data_for_tier(tier)[:]:
            events.append(NewEvent(video_id, start_ms / 1000.0, end_ms / 1000.0, value))
    return sorted(events, key=lambda e: (e.start, e.end, e.label))
