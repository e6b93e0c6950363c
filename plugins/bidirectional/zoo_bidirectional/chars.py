"""Character-level word features: a char-CNN with max pooling per word (Ma & Hovy 2016), so words
the vocabulary lacks still get a representation from their spelling."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo_core.plugin import PAD_ID


def clip_word(chars: list[int], max_length: int) -> list[int]:
    """Long words keep their first and last halves (prefixes and suffixes carry the signal)."""
    if len(chars) <= max_length:
        return chars
    half = max_length // 2
    return chars[:half] + chars[-(max_length - half):]


def pad_chars(words: list[list[list[int]]], time: int, device) -> Tensor:
    """(batch, time, longest word) char ids, zero at padding."""
    longest = max((len(w) for sentence in words for w in sentence), default=1) or 1
    out = torch.zeros(len(words), time, longest, dtype=torch.long)
    for row, sentence in enumerate(words):
        for column, word in enumerate(sentence):
            out[row, column, :len(word)] = torch.tensor(word, dtype=torch.long)
    return out.to(device)


class CharCNN(nn.Module):
    """batch["chars"] (batch, time, chars) in, (batch, time, filters) out."""

    def __init__(self, config, num_chars: int):
        super().__init__()
        self.embedding = nn.Embedding(num_chars, config.dim, padding_idx=PAD_ID)
        self.conv = nn.Conv1d(config.dim, config.filters, config.kernel, padding=config.kernel // 2)
        self.out_dim = config.filters

    def forward(self, batch: dict) -> Tensor:
        chars = batch["chars"]
        rows, time, width = chars.shape
        flat = chars.reshape(rows * time, width)
        hidden = self.conv(self.embedding(flat).transpose(1, 2))[..., :width]
        hidden = hidden.masked_fill((flat == PAD_ID).unsqueeze(1), float("-inf")).max(dim=-1).values
        hidden = hidden.masked_fill(torch.isinf(hidden), 0.0)  # padding words have no characters
        return hidden.reshape(rows, time, -1)
