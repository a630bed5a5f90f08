"""Which models the app can use and which one is active.

A model is recorded in the store by version (its file stem and content hash) the first time the app sees it: the
shipped default, checkpoints kept under ``<data>/models`` (trained here or copied there by hand), and any checkpoint a
run or a training job recorded. The active model is the store's newest activation.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from loco.checkpoint import CheckpointError, read_header
from loco.io import atomic_write, sha256_file
from loco.paths import ASSETS_DIR, sub_dir
from storage import Store, ValidationError
from studio.errors import ServiceError

DEFAULT_MODEL = ASSETS_DIR / "models" / "loco_compact.safetensors"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: Path
    source: str  # "shipped" | "trained" | "registered"
    version: str


_SHA_CACHE: dict[tuple[str, float], str] = {}


def checkpoint_sha256(path: Path) -> str:
    """A checkpoint's content hash, computed once per file version (the app asks often, files are tens of MB)."""
    key = (str(Path(path).resolve()), Path(path).stat().st_mtime)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = sha256_file(path)
    return _SHA_CACHE[key]


def model_version(path: Path) -> str:
    """A model's version: its file stem plus the first 12 hex digits of its content hash."""
    return f"{Path(path).stem}-{checkpoint_sha256(path)[:12]}"


def ensure_model_recorded(store: Store, checkpoint: Path, train_snapshot_id: int | None = None) -> str:
    """Record the model in the store once (by version) and make sure its classes are in the taxonomy, so its
    predictions can be stored. Reads the checkpoint's header only. Returns the version."""
    header = read_header(checkpoint)
    version = model_version(checkpoint)
    known = set(store.class_names())
    for name in header["class_names"]:
        if name not in known:
            store.add_class(name)
    try:
        store.record_model(version, str(Path(checkpoint).resolve()), checkpoint_sha256(checkpoint),
                           header["config"], train_snapshot_id, header.get("metrics", {}))
    except ValidationError as error:
        if "already recorded" not in str(error):
            raise
    return version


def available_models(store: Store) -> list[ModelEntry]:
    """The shipped default, checkpoints under ``<data>/models`` and every other recorded model whose file still
    exists. Files found for the first time are recorded; a file that is not a LoCo checkpoint is left out."""
    found: list[tuple[Path, str]] = [(DEFAULT_MODEL, "shipped")] if DEFAULT_MODEL.is_file() else []
    found += [(path, "trained") for path in sorted(sub_dir("models").glob("*.safetensors"))]
    entries: list[ModelEntry] = []
    for path, source in found:
        try:
            version = ensure_model_recorded(store, path)
        except CheckpointError:
            continue
        name = f"{path.stem} (shipped)" if source == "shipped" else path.stem
        entries.append(ModelEntry(name, path, source, version))
    listed = {e.version for e in entries}
    for model in store.models():
        path = Path(model.checkpoint_path) if model.checkpoint_path else None
        if model.version not in listed and path is not None and path.is_file():
            entries.append(ModelEntry(model.version, path, "registered", model.version))
            listed.add(model.version)
    return entries


def active_model_path(store: Store, entries: list[ModelEntry]) -> Path | None:
    """The active model if it is still available, else the first available one."""
    active = store.active_model()
    for entry in entries:
        if active is not None and entry.version == active.version:
            return entry.path
    return entries[0].path if entries else None


def set_active_model(store: Store, checkpoint: Path, author: str | None = None) -> str:
    """Make a checkpoint the active model (recording it first if need be); returns its version."""
    if not Path(checkpoint).is_file():
        raise ServiceError(f"no checkpoint at {checkpoint}")
    version = ensure_model_recorded(store, checkpoint)
    store.activate_model(version, author)
    return version


def copy_into_models(checkpoint: Path, name: str) -> Path:
    """Keep a trained checkpoint under ``<data>/models`` (the job folder may be cleaned up later). ``name`` is the
    user's: only letters, digits, '-', '_' and '.' survive into the file name."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:100].lstrip(".") or "model"
    target = sub_dir("models") / f"{safe}.safetensors"
    if target.exists():
        raise ServiceError(f"a model named {safe!r} exists; pick another name")
    with atomic_write(target) as out, open(checkpoint, "rb") as source:
        shutil.copyfileobj(source, out)
    return target


def register_trained_model(store: Store, checkpoint: Path, name: str, snapshot_id: int | None) -> Path:
    """Copy a trained checkpoint into ``<data>/models``, record it with its training snapshot and make it the
    active model."""
    kept = copy_into_models(checkpoint, name)
    version = ensure_model_recorded(store, kept, snapshot_id)
    store.activate_model(version)
    return kept
