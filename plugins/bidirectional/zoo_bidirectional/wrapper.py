"""Makes any registered unidirectional encoder bidirectional, a third party's too."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from zoo_core.plugin import (
    ConfigError,
    Encoder,
    EncoderOutput,
    build_component,
    is_unpadded,
    lengths_to_mask,
    reverse_padded,
)


class BidirectionalEncoder(Encoder):
    """Two copies of the inner encoder; the backward one reads each sequence reversed up to its own
    length, so it starts at the sequence's last real token, never at the padding."""

    bidirectional = True
    carries_state = False  # the backward copy restarts at each call's last token: nothing continues a text

    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        inner = config.inner
        self.forward_encoder = build_component("encoder", inner, input_dim=input_dim)
        self.backward_encoder = build_component("encoder", inner, input_dim=input_dim)
        direction = getattr(self.forward_encoder, "bidirectional", None)
        if not isinstance(direction, bool):
            raise ConfigError(f"encoder.inner: '{inner.type}' does not declare bidirectional; set self.bidirectional "
                              "(True or False) in its __init__ (docs/plugins.md, 'The encoder contract')")
        if direction:
            fix = ("set encoder.inner.bidirectional=false" if "bidirectional" in type(inner).model_fields
                   else "give encoder.inner a one-direction encoder")
            raise ConfigError(f"encoder.inner: '{inner.type}' is already bidirectional; {fix} "
                              "(the wrapper adds the backward direction)")
        self.out_dim = self.forward_encoder.out_dim + self.backward_encoder.out_dim

    def forward(self, inputs: Tensor, lengths: Tensor, state: Any = None) -> EncoderOutput:
        if is_unpadded(lengths, inputs.size(1)):  # no padding: reversing each sequence is flipping the columns
            forward = self.forward_encoder(inputs, lengths)
            backward = self.backward_encoder(inputs.flip(1), lengths)
            states = torch.cat([forward.states, backward.states.flip(1)], dim=-1)
            return EncoderOutput(states=states, summary=torch.cat([forward.summary, backward.summary], dim=-1))
        forward = self.forward_encoder(inputs, lengths)
        backward = self.backward_encoder(reverse_padded(inputs, lengths), lengths)
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)
        states = torch.cat([forward.states, reverse_padded(backward.states, lengths)], dim=-1) * mask
        # backward.summary is its state after reading the whole sequence, i.e. at the first token.
        return EncoderOutput(states=states, summary=torch.cat([forward.summary, backward.summary], dim=-1))
