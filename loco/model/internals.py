"""What the UI shows of the model's inner workings (LCC heatmap, coherence, gates, CDP windows, attention).

Time axes are in steps (level 0) or tokens (level ``l``, token ``i`` at step ``i * 2^l``); converting to seconds is
the grid's job (``loco.grid``). Built only when ``forward(..., return_internals=True)``.
Models without LCC (the baseline) have ``None`` for the LCC fields; levels attending densely report a window that
spans the whole level (extent = number of tokens).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


@dataclass
class VideoInternals:
    correspondence: np.ndarray | None  # S [T, T], rows visual time, columns audio time
    coherence_visual: np.ndarray | None  # [T]
    coherence_audio: np.ndarray | None
    gate_visual: np.ndarray | None  # [T]
    gate_audio: np.ndarray | None
    cdp_left: list[np.ndarray]  # per level [H, T_l], tokens of that level
    cdp_right: list[np.ndarray]
    attention: list[dict[str, np.ndarray]]  # per level, direction ("visual"/"audio" = stream updated) -> [H, T_l, T_l]
    lcc_band: int | None = None  # w, so the UI can draw the band |t - s| <= w

    @property
    def num_steps(self) -> int:
        return int(self.cdp_left[0].shape[-1])


def _numpy(x: Tensor) -> np.ndarray:
    return x.detach().to("cpu", torch.float32).numpy()


@dataclass
class BatchInternals:
    """Batched tensors (detached); :meth:`video` crops one video to its valid length."""

    lengths: list[list[int]]  # per level, per video: valid tokens
    correspondence: Tensor | None  # [B, T, T]
    coherence_visual: Tensor | None  # [B, T]
    coherence_audio: Tensor | None
    gate_visual: Tensor | None
    gate_audio: Tensor | None
    cdp_left: list[Tensor]  # per level [B, H, T_l]
    cdp_right: list[Tensor]
    attention: list[dict[str, Tensor]]  # per level, direction -> [B, H, T_l, T_l]
    lcc_band: int | None = None

    def __len__(self) -> int:
        return len(self.lengths[0])

    def video(self, index: int) -> VideoInternals:
        steps = self.lengths[0][index]

        def crop_steps(x: Tensor | None, square: bool = False) -> np.ndarray | None:
            if x is None:
                return None
            return _numpy(x[index, :steps, :steps] if square else x[index, :steps])

        cdp_left, cdp_right, attention = [], [], []
        for level, tokens in enumerate(length[index] for length in self.lengths):
            cdp_left.append(_numpy(self.cdp_left[level][index, :, :tokens]))
            cdp_right.append(_numpy(self.cdp_right[level][index, :, :tokens]))
            attention.append(
                {name: _numpy(weights[index, :, :tokens, :tokens]) for name, weights in self.attention[level].items()}
            )
        return VideoInternals(
            correspondence=crop_steps(self.correspondence, square=True),
            coherence_visual=crop_steps(self.coherence_visual),
            coherence_audio=crop_steps(self.coherence_audio),
            gate_visual=crop_steps(self.gate_visual),
            gate_audio=crop_steps(self.gate_audio),
            cdp_left=cdp_left,
            cdp_right=cdp_right,
            attention=attention,
            lcc_band=self.lcc_band,
        )
