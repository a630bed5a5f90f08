"""Per-modality embedding and unimodal transformer encoder (docs/model.md §2, the UnAV baseline)."""

from __future__ import annotations

from torch import Tensor, nn

from loco.config import ModelConfig
from loco.model.blocks import ConvNormReLUStack, TransformerBlock
from loco.model.position import SinusoidalPositionEmbedding


class UnimodalEncoder(nn.Module):
    """Embedding + position embedding + ``encoder_layers`` pre-LN self-attention blocks for one modality."""

    def __init__(self, in_dim: int, cfg: ModelConfig) -> None:
        super().__init__()
        self.input_dropout = nn.Dropout(cfg.input_dropout)
        self.embedding = ConvNormReLUStack(in_dim, cfg.embed_dim)
        self.position = SinusoidalPositionEmbedding(cfg.embed_dim, cfg.max_seq_len)
        self.layers = nn.ModuleList(
            TransformerBlock(cfg.embed_dim, cfg.num_heads, drop_path=cfg.drop_path, dropout=cfg.dropout)
            for _ in range(cfg.encoder_layers)
        )

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        return self.encode(self.embed(x, mask), mask)

    def embed(self, x: Tensor, mask: Tensor) -> Tensor:
        """Input features [B, C, T] -> embeddings [B, D, T], before any position code (content alone, which
        LCCConfig.position_free compares)."""
        return self.embedding(self.input_dropout(x), mask)

    def encode(self, embedded: Tensor, mask: Tensor) -> Tensor:
        """The encoder after the embedding: position code, then the self-attention blocks."""
        x = embedded + self.position(mask)
        for layer in self.layers:
            x, _, _ = layer(x, mask)
        return x
