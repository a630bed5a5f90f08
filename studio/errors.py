"""The app layer's one error type: a request it cannot serve, said plainly (the pages show it as one line)."""

from __future__ import annotations


class ServiceError(ValueError):
    """A request the app cannot serve (upload too large, no model available, missing run, bad parameter)."""


class UploadTooLargeError(ServiceError):
    """An upload over ``LOCO_MAX_UPLOAD_MB``."""
