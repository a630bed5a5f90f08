"""Typed errors of the annotation store. All are ``ValueError``s so callers (CLI, pages) show one clear line; an operation
that raises has changed nothing (every operation is one transaction)."""

from __future__ import annotations


class StorageError(ValueError):
    """Base class of everything the store refuses."""


class ValidationError(StorageError):
    """The request is invalid (bad times, unknown label, unknown video or event, malformed file)."""


class NotFoundError(ValidationError):
    """A video, event, class or snapshot that the request names does not exist."""


class ConflictError(StorageError):
    """Someone changed the event after the revision the edit was based on; nothing was overwritten."""


class FormatError(ValidationError):
    """An import file cannot be parsed; the message says where."""
