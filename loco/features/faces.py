"""A visual "person" cue: MTCNN face detection (Zhang et al., 2016) on the frames a profile already decodes.

No ImageNet label shows a person speaking, singing or laughing, so the people classes of the taxonomy need another
visual cue than MobileNetV2's head. MTCNN's three small networks (P-, R- and O-Net) ship inside the
``facenet-pytorch`` wheel (MIT; installed with ``--no-deps`` and never imported: its pins are for an old torch). We
check each file's sha256, read the state dicts with ``torch.load(weights_only=True)``, convert them once to
safetensors (and, for the CPU, to ONNX graphs checked against our port when exported) and run our own
implementation of the cascade, resampling with Pillow on the uint8 frames:

1. P-Net, fully convolutional, over an image pyramid (smallest face ``MIN_FACE`` px, scale step 0.709; each level an
   area average of the frame): every 12 px window scoring at least 0.6 is a candidate, calibrated by its box
   regression; NMS per scale (IoU 0.5), then over all scales (0.7); boxes made square.
2. R-Net on each candidate resampled bilinearly to 24 x 24 (outside the frame counts as black, as in the original
   MATLAB code): score at least 0.7, NMS 0.7, regression, square.
3. O-Net on 48 x 48 crops: a face is a box scoring at least 0.7 (after regression, NMS by intersection over the
   smaller box, 0.7).

Per frame the cue is two numbers: the best O-Net face probability of any candidate (0 when none reaches O-Net) and
the largest detected face's share of the frame area. To stay within half the ``fast`` profile's time
(``bench/bench_features.py``), faces smaller than ``MIN_FACE`` = 40 px of the 224 px frame (18 % of its side) are not
looked for, candidates are capped per frame (``MAX_PER_SCALE``, ``MAX_REFINE``, ``MAX_OUTPUT``), and the detector runs
on every other step (the steps between take their neighbours' larger cue). Registers the ``faces`` encoder: uint8
clips [N, T, H, W, 3] of consecutive steps (each clip's centre frame is read) -> float32 [N, 2].
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file
from torch import Tensor, nn

from loco.features.registry import Embed, Encoder, register_encoder
from loco.features.weights import PackagedFile, converted, save_safetensors
from loco.io import atomic_write

REQUIREMENT = "facenet-pytorch==2.6.0"
NETWORK_FILES = {
    "pnet": PackagedFile("facenet_pytorch", "data/pnet.pt",
                         "a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f", REQUIREMENT),
    "rnet": PackagedFile("facenet_pytorch", "data/rnet.pt",
                         "bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86", REQUIREMENT),
    "onet": PackagedFile("facenet_pytorch", "data/onet.pt",
                         "165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d", REQUIREMENT),
}
WEIGHTS_FILE = "mtcnn_facenet_pytorch2.6.0.safetensors"
# bump EXPORT_VERSION whenever the networks' code changes: converted files are kept by name, never rewritten
EXPORT_VERSION = 2
ONNX_FILE = f"mtcnn_facenet_pytorch2.6.0_{{}}_export{EXPORT_VERSION}.onnx"
CUE_DIM = 2  # (best face probability, largest face's share of the frame)
MIN_FACE = 40  # px on the 224 x 224 frame; MTCNN's usual 20 costs about twice the time (module docstring)
SCALE_FACTOR = 0.709
THRESHOLDS = (0.6, 0.7, 0.7)  # P-, R-, O-Net
MAX_PER_SCALE = 48  # P-Net windows per frame and scale that enter its NMS (best scores first)
MAX_REFINE = 8  # candidates per frame that R-Net sees (best P-Net scores first)
MAX_OUTPUT = 2  # candidates per frame that O-Net sees (best R-Net scores first)


class FaceDetectorError(RuntimeError):
    """The converted networks do not compute the packaged ones."""


class _Net(nn.Module):
    """The conv trunk the three networks share in shape: conv -> PReLU (-> max-pool), caffe's ceil-mode pooling."""

    def __init__(self, convs: list[tuple[int, int, int, tuple[int, int] | None]]):
        super().__init__()
        self.pools: list[tuple[int, int] | None] = []
        for index, (cin, cout, kernel, pool) in enumerate(convs, start=1):
            self.add_module(f"conv{index}", nn.Conv2d(cin, cout, kernel))
            self.add_module(f"prelu{index}", nn.PReLU(cout))
            self.pools.append(pool)

    def trunk(self, x: Tensor) -> Tensor:
        """RGB in [0, 255] -> the last conv block's output (MTCNN's input scaling, (x - 127.5) / 128, done here)."""
        x = (x - 127.5) * 0.0078125
        for index, pool in enumerate(self.pools, start=1):
            x = getattr(self, f"prelu{index}")(getattr(self, f"conv{index}")(x))
            if pool is not None:
                x = F.max_pool2d(x, pool[0], pool[1], ceil_mode=True)
        return x

    @staticmethod
    def flatten(x: Tensor) -> Tensor:
        """The original networks flatten in (W, H, C) order (MATLAB/caffe); the dense weights expect it."""
        return x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)


class PNet(_Net):
    def __init__(self):
        super().__init__([(3, 10, 3, (2, 2)), (10, 16, 3, None), (16, 32, 3, None)])
        self.conv4_1, self.conv4_2 = nn.Conv2d(32, 2, 1), nn.Conv2d(32, 4, 1)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """[N, 3, H, W] -> face probability [N, H', W'] and box regression [N, 4, H', W'] per 12 px window."""
        x = self.trunk(x)
        return torch.softmax(self.conv4_1(x), dim=1)[:, 1], self.conv4_2(x)


class RNet(_Net):
    def __init__(self):
        super().__init__([(3, 28, 3, (3, 2)), (28, 48, 3, (3, 2)), (48, 64, 2, None)])
        self.dense4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.dense5_1, self.dense5_2 = nn.Linear(128, 2), nn.Linear(128, 4)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """[N, 3, 24, 24] -> face probability [N] and box regression [N, 4]."""
        x = self.prelu4(self.dense4(self.flatten(self.trunk(x))))
        return torch.softmax(self.dense5_1(x), dim=1)[:, 1], self.dense5_2(x)


class ONet(_Net):
    def __init__(self):
        super().__init__([(3, 32, 3, (3, 2)), (32, 64, 3, (3, 2)), (64, 64, 3, (2, 2)), (64, 128, 2, None)])
        self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.dense6_1, self.dense6_2, self.dense6_3 = nn.Linear(256, 2), nn.Linear(256, 4), nn.Linear(256, 10)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """[N, 3, 48, 48] -> face probability [N] and box regression [N, 4] (the landmarks are not used)."""
        x = self.prelu5(self.dense5(self.flatten(self.trunk(x))))
        return torch.softmax(self.dense6_1(x), dim=1)[:, 1], self.dense6_2(x)


def _convert(target: Path) -> None:
    """The three state dicts (each read only after its sha256 matches) in one safetensors file, keys prefixed."""
    tensors: dict[str, Tensor] = {}
    for name, packaged in NETWORK_FILES.items():
        state = torch.load(packaged.verified_path(), map_location="cpu", weights_only=True)
        tensors.update({f"{name}.{key}": value for key, value in state.items()})
    save_safetensors(tensors, target)


def weights_path() -> Path:
    return converted(WEIGHTS_FILE, _convert)


def load_networks(device: str | torch.device = "cpu") -> dict[str, _Net]:
    """P-, R- and O-Net with the converted weights (strict loads), in eval mode."""
    tensors = load_file(str(weights_path()))
    networks: dict[str, _Net] = {}
    for name, net in (("pnet", PNet()), ("rnet", RNet()), ("onet", ONet())):
        net.load_state_dict({k.split(".", 1)[1]: v for k, v in tensors.items() if k.startswith(f"{name}.")},
                            strict=True)
        networks[name] = net.eval().to(device)
    return networks


def _export_onnx(name: str, target: Path) -> None:
    """One network as ONNX (batch, and for P-Net the image size, dynamic): onnxruntime runs these small convolutions
    about 3x faster than eager PyTorch on a 2-core CPU."""
    size = {"pnet": 48, "rnet": 24, "onet": 48}[name]
    axes = {"images": {0: "batch", 2: "height", 3: "width"} if name == "pnet" else {0: "batch"}}
    buffer = io.BytesIO()
    network = load_networks()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(network, torch.zeros(2, 3, size, size), buffer, input_names=["images"],
                          output_names=["probability", "offsets"], dynamic_axes=axes, opset_version=17, dynamo=False)
    # the graph must compute the port: a converted file is never rewritten, so a wrong one would stay
    images = torch.rand(3, 3, size + 5 * (name == "pnet"), size + 5 * (name == "pnet"),
                        generator=torch.Generator().manual_seed(0)) * 255
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        expected = [out.numpy() for out in network(images)]
    if not all(np.allclose(got, want, atol=1e-4) for got, want in zip(session.run(None, {"images": images.numpy()}),
                                                                       expected)):
        raise FaceDetectorError(f"the ONNX export of {name} does not compute the PyTorch port")
    with atomic_write(target) as handle:
        handle.write(buffer.getvalue())


def onnx_paths() -> dict[str, Path]:
    return {name: converted(ONNX_FILE.format(name), lambda target, name=name: _export_onnx(name, target))
            for name in NETWORK_FILES}


def _nms(boxes: np.ndarray, scores: np.ndarray, groups: np.ndarray, threshold: float, over_min: bool = False,
         limit: int | None = None) -> np.ndarray:
    """Greedy non-maximum suppression within each group (a frame); indices kept, best first. ``over_min``: overlap
    measured over the smaller box instead of the union; ``limit``: only the best ``limit`` of a group compete."""
    order = np.argsort(-scores, kind="stable")
    if limit is not None:
        order = order[_first_per_group(groups[order], limit)]
    areas = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        low = np.maximum(boxes[best, :2], boxes[rest, :2])
        high = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        inter = np.prod(np.maximum(0.0, high - low + 1), axis=1)
        union = np.minimum(areas[best], areas[rest]) if over_min else areas[best] + areas[rest] - inter
        order = rest[(inter / np.maximum(union, 1e-9) <= threshold) | (groups[rest] != groups[best])]
    return np.asarray(keep, dtype=np.int64)


def _first_per_group(groups: np.ndarray, limit: int) -> np.ndarray:
    """Of indices ordered best first, the positions of the first ``limit`` of each group."""
    rank = np.zeros(len(groups), np.int64)
    for group in np.unique(groups):
        members = np.nonzero(groups == group)[0]
        rank[members] = np.arange(len(members))
    return np.nonzero(rank < limit)[0]


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Apply MTCNN's box regression (offsets in units of the box's width and height)."""
    size = np.stack([boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1] * 2, axis=1)
    return boxes + offsets * size


def _square(boxes: np.ndarray) -> np.ndarray:
    """Each box grown to a square around its centre."""
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(width, height)
    x1, y1 = boxes[:, 0] + 0.5 * (width - side), boxes[:, 1] + 0.5 * (height - side)
    return np.stack([x1, y1, x1 + side, y1 + side], axis=1)


def _as_input(pixels: np.ndarray) -> np.ndarray:
    """uint8 [N, H, W, 3] -> float32 [N, 3, H, W], the networks' layout."""
    return np.ascontiguousarray(pixels.transpose(0, 3, 1, 2), dtype=np.float32)


def _pyramid_level(source: list[Image.Image], width: int, height: int, scale: float) -> np.ndarray:
    """The frames (``width`` x ``height``) area-resampled by ``scale`` (MTCNN's sizes: ``int(side * scale + 1)``) as
    P-Net's input, from ``source``: the frames, or for scales up to 1/2 the frames halved by 2 x 2 means (a quarter
    of the pixels to read, the same area average)."""
    size = (int(width * scale + 1), int(height * scale + 1))
    return _as_input(np.stack([np.asarray(image.resize(size, Image.Resampling.BOX)) for image in source]))


def _crops(images: list[Image.Image], frame_of: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """[K, 3, size, size]: box ``k`` (x1, y1, x2, y2 in pixels, corners included, truncated as the original code
    does) of frame ``frame_of[k]`` resampled bilinearly; outside the frame is black, as in the original code."""
    corners = np.trunc(boxes[:, :4]).astype(np.int64)
    out = np.empty((len(boxes), size, size, 3), np.uint8)
    for k, (x1, y1, x2, y2) in enumerate(corners):
        crop = images[frame_of[k]].crop((x1, y1, max(x2, x1) + 1, max(y2, y1) + 1))
        out[k] = np.asarray(crop.resize((size, size), Image.Resampling.BILINEAR))
    return _as_input(out)


class FaceDetector:
    """MTCNN's cascade on batches of RGB frames (module docstring)."""

    def __init__(self, device: str | torch.device = "cpu", min_face: int = MIN_FACE, threads: int = 1):
        self.device = torch.device(device)
        self.min_face = min_face
        self.nets: dict[str, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = {}
        if self.device.type == "cpu":
            options = ort.SessionOptions()
            options.intra_op_num_threads = max(1, threads)
            for name, path in onnx_paths().items():
                session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                self.nets[name] = lambda x, run=session.run: tuple(run(None, {"images": x}))
        else:
            for name, net in load_networks(self.device).items():
                self.nets[name] = lambda x, net=net: tuple(
                    out.cpu().numpy() for out in net(torch.from_numpy(x).to(self.device)))

    def _scales(self, side: int) -> list[float]:
        scale, scales = 12.0 / self.min_face, []
        while side * scale >= 12:
            scales.append(scale)
            scale *= SCALE_FACTOR
        return scales

    def _proposals(self, images: list[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
        """Stage 1: P-Net's calibrated square candidates [K, 5] (x1, y1, x2, y2, score) and their frames [K]."""
        width, height = images[0].size
        source = [image.reduce(2) for image in images] if 12.0 / self.min_face <= 0.5 else images
        found, frame_ids = [], []
        for scale in self._scales(min(height, width)):
            probability, offsets = self.nets["pnet"](_pyramid_level(source, width, height, scale))
            frame, rows, cols = np.nonzero(probability >= THRESHOLDS[0])
            boxes = np.stack([np.floor((2 * cols + 1) / scale), np.floor((2 * rows + 1) / scale),
                              np.floor((2 * cols + 12) / scale), np.floor((2 * rows + 12) / scale)], axis=1)
            scores = probability[frame, rows, cols]
            keep = _nms(boxes, scores, frame, 0.5, limit=MAX_PER_SCALE)
            found.append(np.concatenate([boxes, scores[:, None], offsets[frame, :, rows, cols]], axis=1)[keep])
            frame_ids.append(frame[keep])
        stacked, frame = np.concatenate(found), np.concatenate(frame_ids)
        keep = _nms(stacked[:, :4], stacked[:, 4], frame, 0.7)
        keep = keep[_first_per_group(frame[keep], MAX_REFINE)]
        stacked, frame = stacked[keep], frame[keep]
        return np.concatenate([_square(_regress(stacked[:, :4], stacked[:, 5:9])), stacked[:, 4:5]], axis=1), frame

    def _refine(self, images: list[Image.Image], candidates: np.ndarray, frame: np.ndarray, net: str, size: int,
                threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stages 2 and 3: rescore the candidates with ``net``; returns the surviving boxes [k, 5] (regressed,
        NMS'd, at most ``MAX_OUTPUT`` a frame), their frames, and each frame's best score of any candidate."""
        best = np.zeros(len(images), np.float32)
        if not len(candidates):
            return np.zeros((0, 5)), np.zeros(0, np.int64), best
        probability, offsets = self.nets[net](_crops(images, frame, candidates[:, :4], size))
        np.maximum.at(best, frame, probability)
        chosen = probability >= threshold
        boxes, probability, frame = candidates[chosen, :4], probability[chosen], frame[chosen]
        regressed = _regress(boxes, offsets[chosen])
        if net == "rnet":  # R-Net suppresses before regressing, O-Net after, by the smaller box (as the original)
            keep = _nms(boxes, probability, frame, 0.7)
            regressed = _square(regressed)
        else:
            keep = _nms(regressed, probability, frame, 0.7, over_min=True)
        keep = keep[_first_per_group(frame[keep], MAX_OUTPUT)]
        return np.concatenate([regressed[keep], probability[keep, None]], axis=1), frame[keep], best

    @torch.inference_mode()
    def detect(self, frames: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """uint8 RGB frames [N, H, W, 3] -> (per frame the faces [k, 5]: x1, y1, x2, y2 in pixels and probability,
        best first; [N] the best O-Net face probability of any candidate, 0 where none reached O-Net)."""
        images = [Image.fromarray(np.ascontiguousarray(frame)) for frame in frames]
        candidates, frame = self._proposals(images)
        candidates, frame, _ = self._refine(images, candidates, frame, "rnet", 24, THRESHOLDS[1])
        faces, frame, best = self._refine(images, candidates, frame, "onet", 48, THRESHOLDS[2])
        return [faces[frame == index] for index in range(len(frames))], best

    def cues(self, frames: np.ndarray) -> np.ndarray:
        """[N, H, W, 3] uint8 -> [N, 2] float32: best face probability, largest face's share of the frame area."""
        faces, best = self.detect(frames)
        height, width = frames.shape[1:3]
        share = np.zeros(len(frames), np.float32)
        for index, found in enumerate(faces):
            if len(found):
                clipped_w = np.clip(found[:, 2], 0, width) - np.clip(found[:, 0], 0, width)
                clipped_h = np.clip(found[:, 3], 0, height) - np.clip(found[:, 1], 0, height)
                share[index] = float(np.max(clipped_w * clipped_h)) / (width * height)
        return np.stack([best, share], axis=1)


def every_other_step(cues: Callable[[np.ndarray], np.ndarray], frames: np.ndarray) -> np.ndarray:
    """``cues`` of frames 0, 2, 4, ... of a batch of consecutive steps; each step between takes the larger cue of
    its two neighbours (the last one, of its left neighbour). Half the cost, and a face on screen for a step (0.32 s)
    is still seen by the step before or after it."""
    out = np.zeros((len(frames), CUE_DIM), np.float32)
    computed = cues(frames[::2])
    out[::2] = computed
    left = computed[: len(out[1::2])]
    right = np.concatenate([computed[1:], computed[-1:]])[: len(left)]
    out[1::2] = np.maximum(left, right)
    return out


def embedder(device: str) -> Embed:
    """uint8 RGB clips [N, T, H, W, 3] (consecutive steps) -> [N, 2] face cues of each clip's centre frame, detected
    on every other step (:func:`every_other_step`)."""
    detector = FaceDetector(device, threads=torch.get_num_threads())
    return lambda clips: every_other_step(detector.cues, clips[:, clips.shape[1] // 2])


register_encoder(
    Encoder(
        name="faces",
        stream="visual",
        dim=CUE_DIM,
        version=(f"mtcnn-facenet-pytorch2.6.0/onnx{EXPORT_VERSION}/pillow/min{MIN_FACE}/"
                 f"caps{MAX_PER_SCALE}-{MAX_REFINE}-{MAX_OUTPUT}/every2"),
        files=tuple(NETWORK_FILES.values()),
        convert=lambda: (weights_path(), *onnx_paths().values()),
        load=embedder,
    )
)
