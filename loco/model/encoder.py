"""Per-modality embedding and unimodal transformer encoder (LOCO_MODEL.md §2, the UnAV baseline)."""

from __future__ import annotations

from torch import Tensor, nn

from loco.config import ModelConfig
from loco.model.blocks import LayerNorm, MaskedConv1D, TransformerBlock
from loco.model.position import SinusoidalPositionEmbedding


class Embedding(nn.Module):
    """2 x [masked conv k3 (no bias) -> LayerNorm over channels -> ReLU] from the feature dim to D."""

    def __init__(self, in_dim: int, dim: int, num_layers: int = 2) -> None:
        super().__init__()
        self.convs = nn.ModuleList(MaskedConv1D(in_dim if i == 0 else dim, dim, 3, bias=False) for i in range(num_layers))
        self.norms = nn.ModuleList(LayerNorm(dim) for _ in range(num_layers))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        for conv, norm in zip(self.convs, self.norms):
            x, _ = conv(x, mask)
            x = norm(x).relu() * mask
        return x


class UnimodalEncoder(nn.Module):
    """Embedding + position embedding + ``encoder_layers`` pre-LN self-attention blocks for one modality."""

    def __init__(self, in_dim: int, cfg: ModelConfig) -> None:
        super().__init__()
        self.embedding = Embedding(in_dim, cfg.embed_dim)
        self.position = SinusoidalPositionEmbedding(cfg.embed_dim, cfg.max_seq_len)
        self.layers = nn.ModuleList(
            TransformerBlock(cfg.embed_dim, cfg.num_heads, drop_path=cfg.drop_path, dropout=cfg.dropout)
            for _ in range(cfg.encoder_layers)
        )

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        x = self.embedding(x, mask) + self.position(mask)
        for layer in self.layers:
            x, _, _ = layer(x, mask)
        return x
