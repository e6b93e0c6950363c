"""Makes any registered unidirectional encoder bidirectional, a third party's too."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from zoo_core.errors import ConfigError
from zoo_core.modeling.interfaces import Encoder, EncoderOutput, lengths_to_mask


def reverse_padded(inputs: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence's real positions, leaving padding at the end (its own inverse)."""
    positions = torch.arange(inputs.size(1), device=inputs.device).unsqueeze(0)
    index = lengths.unsqueeze(1) - 1 - positions
    index = torch.where(index >= 0, index, positions)
    return inputs.gather(1, index.unsqueeze(-1).expand_as(inputs))


class BidirectionalEncoder(Encoder):
    """Two copies of the inner encoder; the backward one reads each sequence reversed up to its own
    length, so it starts at the sequence's last real token, never at the padding."""

    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        from zoo_core.extension.registry import get_registry

        inner = config.inner
        if getattr(inner, "bidirectional", False):
            raise ConfigError(f"encoder.inner: '{inner.type}' is already bidirectional; "
                              "set encoder.inner.bidirectional=false (the wrapper adds the backward direction)")
        inner_class = get_registry().component("encoder", inner.type).load()
        self.forward_encoder = inner_class(inner, input_dim=input_dim)
        self.backward_encoder = inner_class(inner, input_dim=input_dim)
        self.out_dim = self.forward_encoder.out_dim + self.backward_encoder.out_dim

    def forward(self, inputs: Tensor, lengths: Tensor, state: Any = None) -> EncoderOutput:
        forward = self.forward_encoder(inputs, lengths)
        backward = self.backward_encoder(reverse_padded(inputs, lengths), lengths)
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)
        states = torch.cat([forward.states, reverse_padded(backward.states, lengths)], dim=-1) * mask
        # backward.summary is its state after reading the whole sequence, i.e. at the first token.
        return EncoderOutput(states=states, summary=torch.cat([forward.summary, backward.summary], dim=-1))
