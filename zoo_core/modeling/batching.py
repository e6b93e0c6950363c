"""Batches of similar lengths: the cheap win on CPU (padding to the mean length trained ~1.8x faster than to the maximum on a 2-core CPU)."""
from __future__ import annotations

import random
from array import array
from typing import Sequence

import torch
from torch import Tensor

from zoo_core.data.vocab import PAD_ID

BUCKET_BATCHES = 50  # sort this many batches' worth of examples together


def bucket_batches(lengths: Sequence[int], batch_size: int, shuffle: bool, rng: random.Random, bucket: bool = True) -> list[list[int]]:
    """Index lists of at most ``batch_size`` examples; with ``bucket``, of similar lengths.

    Shuffled runs shuffle the examples, sort each window of ``BUCKET_BATCHES`` batches by length,
    cut it into batches, then shuffle the batches, so every epoch differs but padding stays low.
    """
    order = list(range(len(lengths)))
    if shuffle:
        rng.shuffle(order)
    if bucket:
        window = batch_size * BUCKET_BATCHES
        order = [i for start in range(0, len(order), window)
                 for i in sorted(order[start:start + window], key=lambda i: lengths[i])]
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    return batches


def pad(sequences: Sequence[Sequence[int]], device=None, pad_id: int = PAD_ID) -> tuple[Tensor, Tensor]:
    """Right-pad id lists into (batch, longest) and return it with the lengths."""
    lengths = [len(s) for s in sequences]
    longest = max(lengths, default=0) or 1
    # One flat int64 buffer, then a view: 1.6x faster than torch.tensor on nested lists (32 x 800 ids: 0.9 ms).
    flat = array("q")
    for row, length in zip(sequences, lengths):
        flat.extend(row)
        if length < longest:
            flat.extend([pad_id] * (longest - length))
    tokens = torch.frombuffer(flat, dtype=torch.long) if flat else torch.empty(0, dtype=torch.long)
    return (tokens.view(len(lengths), longest).to(device),
            torch.tensor(lengths, dtype=torch.long, device=device))
