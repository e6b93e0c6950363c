"""Poolers: per-position states and a mask in, one vector per sequence out.

Each one reads only real tokens: padded positions are replaced (never multiplied, since a
padded state could be inf) before summing, taking a maximum or weighting.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo_core.plugin import EncoderOutput, Pooler, last_real_state


def real_states(states: Tensor, mask: Tensor, fill: float = 0.0) -> Tensor:
    """``states`` with padded positions set to ``fill``; ``states`` itself when nothing is padded (no copy,
    and none in the backward pass)."""
    if bool(mask.all()):
        return states
    return torch.where(mask.unsqueeze(-1), states, torch.full((), fill, dtype=states.dtype, device=states.device))


def masked_mean(states: Tensor, mask: Tensor) -> Tensor:
    return real_states(states, mask).sum(1) / mask.sum(1, keepdim=True).clamp(min=1).to(states.dtype)


def masked_max(states: Tensor, mask: Tensor) -> Tensor:
    return real_states(states, mask, torch.finfo(states.dtype).min).max(1).values


class MeanPooler(Pooler):
    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        self.out_dim = input_dim

    def forward(self, encoded: EncoderOutput, mask: Tensor) -> Tensor:
        return masked_mean(encoded.states, mask)


class MaxPooler(Pooler):
    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        self.out_dim = input_dim

    def forward(self, encoded: EncoderOutput, mask: Tensor) -> Tensor:
        return masked_max(encoded.states, mask)


class ConcatPooler(Pooler):
    """ULMFiT's concat pooling: [mean, max, last]."""

    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        self.out_dim = 3 * input_dim

    def forward(self, encoded: EncoderOutput, mask: Tensor) -> Tensor:
        states = encoded.states
        return torch.cat([masked_mean(states, mask), masked_max(states, mask), encoded.summary], dim=-1)


class AttentionPooler(Pooler):
    """Self-attentive pooling (Lin et al. 2017): A = softmax(W2 tanh(W1 H)) over real tokens, M = A H.

    With several heads, each head's weighted sum is concatenated; `attention` shows their average.
    """

    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        self.score = nn.Sequential(
            nn.Linear(input_dim, config.hidden_size, bias=False),
            nn.Tanh(),
            nn.Linear(config.hidden_size, config.heads, bias=False),
        )
        self.out_dim = config.heads * input_dim

    def weights(self, encoded: EncoderOutput, mask: Tensor) -> Tensor:
        """(batch, heads, time) weights; exactly zero at padding, each head summing to one."""
        return self._weights(real_states(encoded.states, mask), mask)

    def _weights(self, states: Tensor, mask: Tensor) -> Tensor:
        scores = self.score(states).transpose(1, 2)
        if not bool(mask.all()):
            scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        return scores.softmax(-1)

    def forward(self, encoded: EncoderOutput, mask: Tensor) -> Tensor:
        states = real_states(encoded.states, mask)  # once, for the scores and the weighted sum
        return torch.bmm(self._weights(states, mask), states).flatten(1)

    def attention(self, encoded: EncoderOutput, mask: Tensor) -> Tensor:
        return self.weights(encoded, mask).mean(1)


class EndsPooler(Pooler):
    """Each direction of a bidirectional encoder at both ends of the text.

    [forward at the last token, backward at the first] is what each direction knows after reading
    everything (the `last` pooler); [forward at the first, backward at the last] after one token.
    """

    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        if input_dim % 2:
            raise ValueError(f"ends pooling needs forward and backward halves; got odd input size {input_dim}")
        self.out_dim = 2 * input_dim

    def forward(self, encoded: EncoderOutput, mask: Tensor) -> Tensor:
        half = self.input_dim // 2
        forward, backward = encoded.states[..., :half], encoded.states[..., half:]
        lengths = mask.sum(1)
        return torch.cat([last_real_state(forward, lengths), backward[:, 0],
                          forward[:, 0], last_real_state(backward, lengths)], dim=-1)
