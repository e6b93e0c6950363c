"""The greedy sampler: the most likely token at every step."""
from typing import Any, Iterator, Optional

import torch
from torch import Tensor

from zoo_core.modeling.interfaces import SampledStep, Sampler


class GreedySampler(Sampler):
    def decode(self, step, state: Any, start_tokens: Tensor, end_token: Optional[int], max_tokens: int,
               reorder=None, generator=None) -> Iterator[SampledStep]:
        tokens = start_tokens
        finished = torch.zeros_like(tokens, dtype=torch.bool)
        for _ in range(max_tokens):
            logits, state = step(tokens, state)
            log_probs = torch.log_softmax(logits.float(), dim=-1)
            best, tokens = log_probs.max(dim=-1)
            yield SampledStep(tokens, best)
            if end_token is not None:
                finished |= tokens == end_token
                if bool(finished.all()):
                    return
