"""A tagger's per-word inputs beside the word embedding: the char-CNN's vector and, with
embedding.contextual, the char LMs' contextual string embeddings (zoo_core.plugin.ContextualStringEmbeddings)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn


class WordFeatures(nn.Module):
    """batch["chars"] and batch["sentences"] in, (batch, time, char-CNN + contextual dims) out."""

    def __init__(self, chars: Optional[nn.Module], contextual: nn.Module):
        super().__init__()
        self.chars, self.contextual = chars, contextual
        self.out_dim = (chars.out_dim if chars is not None else 0) + contextual.out_dim

    def forward(self, batch: dict) -> Tensor:
        time = batch["tokens"].size(1)
        parts = [self.chars(batch)] if self.chars is not None else []
        parts.append(self.contextual(batch["sentences"], time))
        return torch.cat(parts, dim=-1)
