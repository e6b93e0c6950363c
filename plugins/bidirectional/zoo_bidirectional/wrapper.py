"""Makes any registered unidirectional encoder bidirectional, a third party's too."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from zoo_core.plugin import ConfigError, Encoder, EncoderOutput, build_component, lengths_to_mask, reverse_padded


class BidirectionalEncoder(Encoder):
    """Two copies of the inner encoder; the backward one reads each sequence reversed up to its own
    length, so it starts at the sequence's last real token, never at the padding."""

    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        inner = config.inner
        if getattr(inner, "bidirectional", False):
            raise ConfigError(f"encoder.inner: '{inner.type}' is already bidirectional; "
                              "set encoder.inner.bidirectional=false (the wrapper adds the backward direction)")
        self.forward_encoder = build_component("encoder", inner, input_dim=input_dim)
        self.backward_encoder = build_component("encoder", inner, input_dim=input_dim)
        self.out_dim = self.forward_encoder.out_dim + self.backward_encoder.out_dim

    def forward(self, inputs: Tensor, lengths: Tensor, state: Any = None) -> EncoderOutput:
        forward = self.forward_encoder(inputs, lengths)
        backward = self.backward_encoder(reverse_padded(inputs, lengths), lengths)
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)
        states = torch.cat([forward.states, reverse_padded(backward.states, lengths)], dim=-1) * mask
        # backward.summary is its state after reading the whole sequence, i.e. at the first token.
        return EncoderOutput(states=states, summary=torch.cat([forward.summary, backward.summary], dim=-1))
