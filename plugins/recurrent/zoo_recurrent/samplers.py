"""Stochastic samplers: temperature, top-k and top-p (nucleus). Greedy is in the core.

Each reports the model's own log-probability of the chosen token (before temperature or
filtering), so `--json` log-probabilities do not depend on the sampler.
"""
from __future__ import annotations

import bisect
import itertools
from typing import Any, Iterator, Optional

import torch
from torch import Tensor

from zoo_core.plugin import SampledStep, Sampler, decode_token_by_token


def sample(weights: Tensor, generator: Optional[torch.Generator]) -> Tensor:
    """One token per row of ``weights`` (batch, vocab) by inverse CDF: half the cost of
    torch.multinomial at batch 1, which matters when the whole step takes about 0.4 ms."""
    if weights.size(0) == 1 and weights.device.type == "cpu":
        return sample_one(weights, generator)
    cdf = weights.cumsum(dim=-1)
    total = cdf[:, -1:]
    uniform = torch.rand(total.shape, generator=generator, device=weights.device, dtype=weights.dtype)
    # right=True: a token with zero weight never has a CDF above the previous token's.
    index = torch.searchsorted(cdf, torch.minimum(uniform * total, total * (1 - 1e-6)), right=True)
    return index.squeeze(-1).clamp_(max=weights.size(-1) - 1)


def sample_one(weights: Tensor, generator: Optional[torch.Generator]) -> Tensor:
    """The same inverse CDF for one row on the CPU, on a Python list with bisect: one tensor op (the uniform
    number, drawn as ``sample`` draws it) instead of eight, about 10 against 25 microseconds a token."""
    cdf = list(itertools.accumulate(weights[0].tolist()))
    total = cdf[-1]
    uniform = float(torch.rand((1, 1), generator=generator, dtype=weights.dtype))
    index = bisect.bisect_right(cdf, min(uniform * total, total * (1 - 1e-6)))
    return torch.tensor([min(index, len(cdf) - 1)])


#: Temperatures below this are greedy: dividing by a tinier one overflows the logits to inf (softmax: nan).
GREEDY_BELOW = 1e-4


class TemperatureSampler(Sampler):
    """Sample from softmax(logits / temperature); a temperature below GREEDY_BELOW (0 included) is greedy."""

    def filter(self, logits: Tensor) -> Tensor:
        """Logits to sample from, with the tokens this sampler excludes set to -inf."""
        return logits

    def decode(self, step, state: Any, start_tokens: Tensor, end_token: Optional[int], max_tokens: int,
               reorder=None, generator: Optional[torch.Generator] = None) -> Iterator[SampledStep]:
        temperature = self.config.temperature

        def choose(logits: Tensor, log_probs: Tensor) -> Tensor:
            if temperature < GREEDY_BELOW:
                return log_probs.argmax(dim=-1)
            if temperature == 1.0 and type(self).filter is TemperatureSampler.filter:
                return sample(log_probs.exp(), generator)  # softmax(logits), already computed as log_probs
            return sample(torch.softmax(self.filter(logits.float() / temperature), dim=-1), generator)

        return decode_token_by_token(step, state, start_tokens, end_token, max_tokens, choose)


class TopKSampler(TemperatureSampler):
    """Sample among the K most likely tokens."""

    def filter(self, logits: Tensor) -> Tensor:
        k = min(self.config.top_k, logits.size(-1))
        kth = logits.topk(k, dim=-1).values[..., -1:]
        return logits.masked_fill(logits < kth, float("-inf"))


class TopPSampler(TemperatureSampler):
    """Sample among the fewest most likely tokens whose probabilities sum to at least P (Holtzman et al. 2020)."""

    def filter(self, logits: Tensor) -> Tensor:
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        probs = sorted_logits.softmax(dim=-1)
        # Keep a token if the tokens ranked above it do not already reach P (the first always stays).
        drop = probs.cumsum(dim=-1) - probs >= self.config.top_p
        return logits.scatter(-1, order, sorted_logits.masked_fill(drop, float("-inf")))
