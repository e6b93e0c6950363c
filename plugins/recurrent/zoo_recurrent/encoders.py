"""RNN, LSTM and GRU encoders on torch's fused layers, correct on padded batches.

Padding to the batch's longest sequence beats pack_padded_sequence on CPU (oneDNN runs only on
padded input), so we run padded and read each sequence's state at its own last real token.
Padding comes after the real tokens, so it never changes a forward state that we read.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from zoo_core.interfaces import Encoder, EncoderOutput, last_real_state, lengths_to_mask

LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def reverse_padded(inputs: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence's real tokens in place, leaving padding at the end."""
    time = inputs.size(1)
    positions = torch.arange(time, device=inputs.device).unsqueeze(0)
    index = (lengths.unsqueeze(1) - 1 - positions)
    index = torch.where(index >= 0, index, positions)  # padding stays where it is
    return inputs.gather(1, index.unsqueeze(-1).expand_as(inputs))


class RecurrentEncoder(Encoder):
    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        layer = LAYERS[config.type]
        options = dict(num_layers=config.num_layers, batch_first=True,
                       dropout=config.dropout if config.num_layers > 1 else 0.0)
        if config.type == "rnn":
            options["nonlinearity"] = "tanh"
        self.forward_rnn = layer(input_dim, config.hidden_size, **options)
        # The backward direction runs on each sequence reversed up to its own length, so it starts
        # at the last real token, not at the padding (nn.LSTM's bidirectional would start there).
        self.backward_rnn = layer(input_dim, config.hidden_size, **options) if config.bidirectional else None
        self.output_dropout = nn.Dropout(config.dropout)
        self.out_dim = config.hidden_size * (2 if config.bidirectional else 1)

    def forward(self, inputs: Tensor, lengths: Tensor, state: Any = None) -> EncoderOutput:
        forward_state, backward_state = state if self.backward_rnn is not None and state is not None else (state, None)
        states, final = self.forward_rnn(inputs, forward_state)
        summary = last_real_state(states, lengths)
        # The final state is each sequence's own only when none is padded (an LM's chunks).
        carried = final if bool((lengths == inputs.size(1)).all()) else None
        if self.backward_rnn is not None:
            backward, _ = self.backward_rnn(reverse_padded(inputs, lengths), backward_state)
            backward = reverse_padded(backward, lengths)
            summary = torch.cat([summary, backward[:, 0]], dim=-1)
            states = torch.cat([states, backward], dim=-1)
            carried = (carried, None)
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)
        states = self.output_dropout(states * mask)
        return EncoderOutput(states=states, summary=self.output_dropout(summary), state=carried)
