"""The torch interfaces every component implements: Encoder, Pooler, Head, Sampler.

Shapes: ``inputs`` (batch, time, dim), right-padded; ``lengths`` (batch,) on the same device.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import torch
from torch import Tensor, nn


def lengths_to_mask(lengths: Tensor, max_length: int) -> Tensor:
    """(batch, time) bool mask, True at real tokens."""
    positions = torch.arange(max_length, device=lengths.device)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)


def is_unpadded(lengths: Tensor, max_length: int) -> bool:
    """True when every sequence fills all ``max_length`` positions (a length-bucketed batch often does): such a
    batch needs no mask, gather or reversal, so encoders and poolers may take a cheaper path with the same result."""
    return bool(lengths.numel()) and bool((lengths == max_length).all())


def last_real_state(states: Tensor, lengths: Tensor) -> Tensor:
    """Each sequence's state at its own last real token: (batch, dim)."""
    index = (lengths - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, states.size(-1))
    return states.gather(1, index).squeeze(1)


def reverse_padded(inputs: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence's real positions, leaving padding at the end (its own inverse): what a backward
    direction reads, so it starts at the sequence's last real token, never at the padding."""
    positions = torch.arange(inputs.size(1), device=inputs.device).unsqueeze(0)
    index = lengths.unsqueeze(1) - 1 - positions
    index = torch.where(index >= 0, index, positions)  # padding stays where it is
    return inputs.gather(1, index.unsqueeze(-1).expand_as(inputs))


@dataclass
class EncoderOutput:
    """What an encoder returns.

    states: (batch, time, out_dim) per position, zero at padding.
    summary: (batch, out_dim) at each sequence's last real token (bidirectional: forward's last
        and backward's first, concatenated).
    state: the recurrent state after the last token, to hand back to ``forward`` (see ``Encoder``); None
        from an encoder that does not carry state.
    """

    states: Tensor
    summary: Tensor
    state: Any = None


class Encoder(nn.Module):
    """Embedded tokens and lengths in, per-position states and a summary out.

    Every encoder declares, in ``__init__`` or as class attributes (docs/plugins.md, "The encoder contract"):

    - ``out_dim: int``: the last dimension of its states and summary.
    - ``bidirectional: bool``: True when the state at position t depends on tokens after t (heads and
      poolers that read two directions need it); False when it reads left to right only.
    - ``carries_state: bool``: True when ``forward`` returns a recurrent ``state`` that, handed back
      to the next ``forward`` call, continues the sequence: encoding a text in two chunks, the second
      given the first's state, gives the same per-position states as encoding it whole. A language
      model needs it (training carries the state from chunk to chunk, generation from token to token).

    The state is a tensor or a tuple of tensors (so ``detach_state`` can cut its graph), shaped as the
    encoder needs: the first-party recurrent encoders use torch's own, a tensor
    ``(num_layers, batch, hidden_size)`` (RNN, GRU) or a tuple ``(h, c)`` of two such tensors (LSTM).
    It is handed back unchanged as ``forward(inputs, lengths, state)`` (detached between training
    chunks by ``detach_state``).
    ``None`` means start from zeros: the start of a text. An encoder that carries state returns it
    whenever no sequence in the batch is padded (every length equals ``time``: a language model's
    chunks, a prompt); with padding it may return None, since the state after the last column is not
    each sequence's own. An encoder that does not carry state returns None.
    """

    out_dim: int
    bidirectional: bool
    carries_state: bool

    def __init__(self, config, input_dim: int):
        super().__init__()
        self.config = config
        self.input_dim = input_dim

    def forward(self, inputs: Tensor, lengths: Tensor, state: Any = None) -> EncoderOutput:
        raise NotImplementedError

    def detach_state(self, state: Any) -> Any:
        """Cut the graph behind a carried state (truncated back-propagation through time)."""
        if state is None:
            return None
        if isinstance(state, Tensor):
            return state.detach()
        return type(state)(self.detach_state(part) for part in state)


DECLARED = ("bidirectional", "carries_state")  # what every encoder must declare, with no default


def undeclared(encoder: Encoder) -> list[str]:
    """The contract attributes ``encoder`` does not declare as a bool (empty when it keeps the contract)."""
    return [name for name in DECLARED if not isinstance(getattr(encoder, name, None), bool)]


class Pooler(nn.Module):
    """Per-position states and a mask in, one vector per sequence out."""

    out_dim: int

    def __init__(self, config, input_dim: int):
        super().__init__()
        self.config = config
        self.input_dim = input_dim

    def forward(self, encoded: EncoderOutput, mask: Tensor) -> Tensor:
        raise NotImplementedError

    def attention(self, encoded: EncoderOutput, mask: Tensor) -> Optional[Tensor]:
        """(batch, time) weight of each token, for poolers that have one; None otherwise."""
        return None


class Head(nn.Module):
    """Encoder output in, logits out; knows its task's loss.

    ``context`` carries what the task knows about the data, e.g. ``num_labels`` or the
    token ``embedding`` (for tied weights).
    """

    def __init__(self, config, input_dim: int, context: dict):
        super().__init__()
        self.config = config
        self.input_dim = input_dim

    def forward(self, encoded: EncoderOutput, batch: dict) -> Tensor:
        raise NotImplementedError

    def loss(self, logits: Tensor, batch: dict) -> Tensor:
        raise NotImplementedError


StepFunction = Callable[[Tensor, Any], "tuple[Tensor, Any]"]
ReorderFunction = Callable[[Any, Tensor], Any]


@dataclass
class SampledStep:
    """One decoding step: the chosen token of each sequence and its log-probability."""

    tokens: Tensor
    log_probs: Tensor


@dataclass
class DecodedSequence:
    """One whole decoded sequence: its tokens (without the end token) and their total log-probability."""

    tokens: list
    log_prob: float


class Sampler:
    """Owns a decoding loop.

    ``step(tokens, state) -> (logits, state)`` advances every sequence by one token;
    ``reorder(state, index)`` selects rows of a state (beam search keeps the best hypotheses).
    """

    def __init__(self, config):
        self.config = config

    def decode(
        self,
        step: StepFunction,
        state: Any,
        start_tokens: Tensor,
        end_token: Optional[int],
        max_tokens: int,
        reorder: Optional[ReorderFunction] = None,
        generator: Optional[torch.Generator] = None,
    ) -> Iterator[SampledStep]:
        raise NotImplementedError

    def decode_sequences(
        self,
        step: StepFunction,
        state: Any,
        start_tokens: Tensor,
        end_token: Optional[int],
        max_tokens: int,
        reorder: Optional[ReorderFunction] = None,
        generator: Optional[torch.Generator] = None,
    ) -> list[DecodedSequence]:
        """Whole sequences, one per start token. Built on ``decode``; samplers that search over
        hypotheses (beam search) override it, since their steps are only final at the end."""
        rows = start_tokens.size(0)
        tokens: list[list[int]] = [[] for _ in range(rows)]
        scores, ended = [0.0] * rows, [False] * rows
        for sampled in self.decode(step, state, start_tokens, end_token, max_tokens, reorder, generator):
            for row, (token, log_prob) in enumerate(zip(sampled.tokens.tolist(), sampled.log_probs.tolist())):
                if ended[row]:
                    continue
                scores[row] += log_prob
                if token == end_token:
                    ended[row] = True
                else:
                    tokens[row].append(token)
        return [DecodedSequence(row_tokens, score) for row_tokens, score in zip(tokens, scores)]
