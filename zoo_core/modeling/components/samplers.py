"""The greedy sampler: the most likely token at every step."""
from typing import Any, Iterator, Optional

from torch import Tensor

from zoo_core.modeling.decoding import decode_token_by_token
from zoo_core.modeling.interfaces import SampledStep, Sampler


class GreedySampler(Sampler):
    def decode(self, step, state: Any, start_tokens: Tensor, end_token: Optional[int], max_tokens: int,
               reorder=None, generator=None) -> Iterator[SampledStep]:
        return decode_token_by_token(step, state, start_tokens, end_token, max_tokens,
                                     lambda logits, log_probs: log_probs.argmax(dim=-1))
