"""What every encoder of this plugin shares: a stack of layers, masks, the carried state, the outputs.

A layer is an ``nn.Module`` with ``out_dim`` and
``forward(x, mask, lengths, state) -> (outputs, state)``: ``x`` batch-first (batch, time, dim),
``mask`` (batch, time) True at real tokens or None when nothing is padded, ``state`` the layer's own
(None: from zeros). A layer keeps padded steps from updating its state (or reads its state at each
sequence's own last token), so the state it returns is each sequence's own, padded or not.
"""
from __future__ import annotations

from typing import Any, Optional

import torch
from torch import Tensor, nn

from zoo_core.plugin import Encoder, EncoderOutput, last_real_state, lengths_to_mask
from zoo_modern.scan import linear_recurrence


class StackedEncoder(Encoder):
    """``num_layers`` layers built by ``make_layer(input_dim, index)``; one direction, state carried.

    Bidirectional through the zoo-bidirectional wrapper: ``{"type": "bidirectional", "inner": NAME}``.
    """

    bidirectional = False
    carries_state = True

    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        layers, size = [], input_dim
        for index in range(config.num_layers):
            layer = self.make_layer(size, index)
            layers.append(layer)
            size = layer.out_dim
        self.layers = nn.ModuleList(layers)
        self.dropout = nn.Dropout(config.dropout)
        self.out_dim = size

    def make_layer(self, input_dim: int, index: int) -> nn.Module:
        raise NotImplementedError

    def forward(self, inputs: Tensor, lengths: Tensor, state: Any = None) -> EncoderOutput:
        time = inputs.size(1)
        padded = not bool((lengths == time).all())
        mask = lengths_to_mask(lengths, time) if padded else None
        states, carried = self._run(inputs, mask, lengths, state)
        if mask is not None:  # where, not a product: a padded position never reaches a real one
            states = states.masked_fill(~mask.unsqueeze(-1), 0.0)
        if self.dropout.p:
            states = self.dropout(states)
        return EncoderOutput(states=states, summary=last_real_state(states, lengths), state=carried)

    def step(self, inputs: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """Unpadded left-to-right tokens (generation): (batch, time, dim) in, states and the new state out."""
        lengths = torch.full((inputs.size(0),), inputs.size(1), dtype=torch.long, device=inputs.device)
        states, carried = self._run(inputs, None, lengths, state)
        return (self.dropout(states) if self.dropout.p else states), carried

    def _run(self, inputs: Tensor, mask: Optional[Tensor], lengths: Tensor, state: Any):
        x, carried = inputs, []
        for index, layer in enumerate(self.layers):
            if index and self.dropout.p:
                x = self.dropout(x)
            x, layer_state = layer(x, mask, lengths, None if state is None else state[index])
            carried.append(layer_state)
        return x, tuple(carried)


def gather_last(values: Tensor, lengths: Tensor) -> Tensor:
    """(batch, time, ...) to (batch, ...): each sequence's value at its own last real step."""
    flat = values.reshape(values.size(0), values.size(1), -1)
    return last_real_state(flat, lengths).reshape(values.size(0), *values.shape[2:])


def masked(values: Tensor, mask: Optional[Tensor], fill: float) -> Tensor:
    """``values`` (batch, time, ...) with ``fill`` at padded steps (mask False)."""
    if mask is None:
        return values
    shape = mask.shape + (1,) * (values.dim() - 2)
    return values.masked_fill(~mask.view(shape), fill)


def scanned(a: Tensor, b: Tensor, mask: Optional[Tensor], h0: Optional[Tensor], mode: str,
            log_a: Optional[Tensor] = None):
    """States (batch, time, channels) of h_t = a_t h_{t-1} + b_t and the state after the last step.

    Padded steps become identity steps (a = 1, b = 0), so the last state is each sequence's own.
    """
    if mask is not None:
        a, b = masked(a, mask, 1.0), masked(b, mask, 0.0)
        log_a = None if log_a is None else masked(log_a, mask, 0.0)
    states = linear_recurrence(a, b, h0, mode, log_a)
    return states, states[:, -1]
