"""Cross-modal feature pyramid (docs/model.md §4): UnAV's pyramid, with CDP windows at the chosen levels.

Level 0 has stride 1, each further level halves the time axis (depthwise conv k3 s2 on Q/K/V, masked max-pool k3 s2
on the skip, masks by nearest neighbour), so level ``l`` has ``ceil(T / 2^l)`` tokens. At every level one block per
direction: UnAV's convention is that the stream being updated (m) supplies keys, values and the residual, while the
*other* stream (n) supplies the queries. Both directions read the previous level's outputs.

Asked for its weights, each level returns them as a band of ``radius`` keys around every query (the CDP radius, so
a windowed level keeps all its weight) plus, where the level attends densely, a pooled overview
(``loco.model.banded``): never a ``T_l x T_l`` matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from loco.config import ModelConfig
from loco.model.banded import AttentionWeights, DenseAttention
from loco.model.blocks import TransformerBlock
from loco.model.cdp import WindowedAttention, WindowExtents, WindowPredictor, constant_window, window_radius

DIRECTIONS = ("visual", "audio")
"""Attention directions, named after the stream being updated."""


@dataclass
class PyramidLevel:
    visual: Tensor  # [B, D, T_l]
    audio: Tensor  # [B, D, T_l]
    mask: Tensor  # [B, 1, T_l]
    window: WindowExtents | None  # None where the level attends densely
    attention: dict[str, AttentionWeights] | None  # direction -> band (+ overview where dense), only when asked for


def level_uses_cdp(cfg: ModelConfig, level: int) -> bool:
    return cfg.cdp.mode != "dense" and (cfg.cdp.levels is None or level in cfg.cdp.levels)


class CrossModalPyramid(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.cdp.mode not in ("dense", "fixed", "adaptive"):
            raise ValueError(f"cdp.mode must be dense, fixed or adaptive, got {cfg.cdp.mode!r}")
        self.cfg = cfg
        self.radius = window_radius(cfg.cdp)

        def block(stride: int) -> TransformerBlock:
            return TransformerBlock(
                cfg.embed_dim, cfg.num_heads, stride, cross=True, drop_path=cfg.drop_path, dropout=cfg.dropout
            )

        strides = [1] + [2] * (cfg.pyramid_levels - 1)
        self.visual_blocks = nn.ModuleList(block(s) for s in strides)
        self.audio_blocks = nn.ModuleList(block(s) for s in strides)
        self.window_predictors = nn.ModuleDict(
            {
                str(level): WindowPredictor(cfg.embed_dim, cfg.num_heads, stride, cfg.cdp)
                for level, stride in enumerate(strides)
                if cfg.cdp.mode == "adaptive" and level_uses_cdp(cfg, level)
            }
        )

    def _window(self, level: int, visual: Tensor, audio: Tensor, mask: Tensor) -> WindowExtents | None:
        if not level_uses_cdp(self.cfg, level):
            return None
        if self.cfg.cdp.mode == "adaptive":
            return self.window_predictors[str(level)](visual, audio, mask)
        stride = self.visual_blocks[level].stride
        length = (visual.shape[-1] + stride - 1) // stride
        return constant_window(visual.shape[0], self.cfg.num_heads, length, self.cfg.cdp.fixed_extent, visual)

    def forward(self, visual: Tensor, audio: Tensor, mask: Tensor, need_weights: bool = False) -> list[PyramidLevel]:
        levels = []
        for level, (visual_block, audio_block) in enumerate(zip(self.visual_blocks, self.audio_blocks)):
            window = self._window(level, visual, audio, mask)
            if window is None:
                attend = DenseAttention(self.radius)
            else:
                attend = WindowedAttention(window, self.cfg.cdp.kappa, self.radius)
            new_visual, new_mask, visual_weights = visual_block(visual, mask, audio, attend, need_weights)
            new_audio, _, audio_weights = audio_block(audio, mask, visual, attend, need_weights)
            attention = {"visual": visual_weights, "audio": audio_weights} if need_weights else None
            levels.append(PyramidLevel(new_visual, new_audio, new_mask, window, attention))
            visual, audio, mask = new_visual, new_audio, new_mask
        return levels
