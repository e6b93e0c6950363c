"""The causal-conv encoder: stacked causal 1-D convolutions over the embedded tokens.

Causal: position t sees only tokens t-kernel_size+1 .. t. Padding comes after the real tokens,
so it never reaches a real position; states at padding are zeroed, and the summary is the state
at each sequence's own last real token.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from zoo_core.plugin import Encoder, EncoderOutput, last_real_state, lengths_to_mask


class CausalConvEncoder(Encoder):
    # The encoder contract (docs/plugins.md): position t sees only tokens up to t, and there is no
    # recurrent state to carry from one call to the next.
    bidirectional = False
    carries_state = False

    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        sizes = [input_dim] + [config.hidden_size] * config.num_layers
        self.convolutions = nn.ModuleList(
            nn.Conv1d(size_in, size_out, config.kernel_size) for size_in, size_out in zip(sizes, sizes[1:]))
        self.dropout = nn.Dropout(config.dropout)
        self.out_dim = config.hidden_size

    def forward(self, inputs: Tensor, lengths: Tensor, state: Any = None) -> EncoderOutput:
        hidden = inputs.transpose(1, 2)  # Conv1d wants (batch, channels, time)
        for convolution in self.convolutions:
            # Pad on the left only, so no position sees a later (possibly padded) one.
            hidden = F.pad(hidden, (self.config.kernel_size - 1, 0))
            hidden = self.dropout(torch.tanh(convolution(hidden)))
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)
        states = hidden.transpose(1, 2) * mask
        return EncoderOutput(states=states, summary=last_real_state(states, lengths))
