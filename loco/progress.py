"""The one progress callback type of every long job (feature extraction, detection, imports, evaluation, jobs):
``progress(fraction in [0, 1], message)``. A callback may raise to cancel the work (the app's jobs do)."""

from __future__ import annotations

from typing import Callable

Progress = Callable[[float, str], None]


def silent(fraction: float, message: str) -> None:
    """The callback to use when nobody listens."""
