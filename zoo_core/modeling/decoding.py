"""The token-by-token decoding loop that greedy and sampling decoders share; each supplies only how it
picks the next token."""
from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

import torch
from torch import Tensor

from zoo_core.modeling.interfaces import SampledStep

#: ``choose(logits, log_probs) -> tokens``: the next token of each row, from the step's raw logits and their
#: log-softmax (float32).
ChooseFunction = Callable[[Tensor, Tensor], Tensor]


def decode_token_by_token(step, state: Any, start_tokens: Tensor, end_token: Optional[int], max_tokens: int,
                          choose: ChooseFunction) -> Iterator[SampledStep]:
    """Advance every row one token at a time with ``step`` until ``max_tokens`` or until every row has ended;
    each step reports the chosen tokens and the model's own log-probability of them."""
    tokens = start_tokens
    finished = torch.zeros_like(tokens, dtype=torch.bool)
    for _ in range(max_tokens):
        logits, state = step(tokens, state)
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        tokens = choose(logits, log_probs)
        yield SampledStep(tokens, log_probs.gather(-1, tokens.unsqueeze(-1)).squeeze(-1))
        if end_token is not None:
            finished |= tokens == end_token
            if bool(finished.all()):
                return
