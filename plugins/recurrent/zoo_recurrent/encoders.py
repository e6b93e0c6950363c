"""RNN, LSTM and GRU encoders on torch's fused layers, correct on padded batches.

Padding to the batch's longest sequence beats pack_padded_sequence on CPU (oneDNN runs only on
padded input), so we run padded and read each sequence's state at its own last real token.
Padding comes after the real tokens, so it never changes a forward state that we read.
A batch with no padding (every length equal, as length bucketing often gives) takes a shorter path with
the same result: torch's final state is each sequence's own, no mask is needed, and on the CPU both
directions of a bidirectional layer run in one fused call, as nn.LSTM(bidirectional=True) does.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from zoo_core.plugin import Encoder, EncoderOutput, is_unpadded, last_real_state, lengths_to_mask, reverse_padded

LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CELLS = {"rnn": torch.rnn_tanh_cell, "lstm": torch.lstm_cell, "gru": torch.gru_cell}
# The functions nn.LSTM/GRU/RNN call: given two layers' weights and bidirectional=True, one call runs both.
FUSED = {"rnn": torch.rnn_tanh, "lstm": torch.lstm, "gru": torch.gru}


class RecurrentEncoder(Encoder):
    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        layer = LAYERS[config.type]
        options = dict(num_layers=config.num_layers, batch_first=True,
                       dropout=config.dropout if config.num_layers > 1 else 0.0)
        if config.type == "rnn":
            options["nonlinearity"] = "tanh"
        if config.bidirectional:  # stacked per layer, as nn.LSTM: layer k+1 reads both directions of layer k
            options.update(num_layers=1, dropout=0.0)
        self.forward_rnn = layer(input_dim, config.hidden_size, **options)
        # The backward direction runs on each sequence reversed up to its own length, so it starts
        # at the last real token, not at the padding (nn.LSTM's bidirectional would start there).
        self.backward_rnn = layer(input_dim, config.hidden_size, **options) if config.bidirectional else None
        if config.bidirectional:
            upper = range(config.num_layers - 1)
            self.upper_forward = nn.ModuleList(layer(2 * config.hidden_size, config.hidden_size, **options) for _ in upper)
            self.upper_backward = nn.ModuleList(layer(2 * config.hidden_size, config.hidden_size, **options) for _ in upper)
        self.output_dropout = nn.Dropout(config.dropout)
        self.out_dim = config.hidden_size * (2 if config.bidirectional else 1)
        self.bidirectional = config.bidirectional
        # A backward direction restarts at each chunk's end, so only one direction continues a text.
        self.carries_state = not config.bidirectional

    def step(self, inputs: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """One unpadded left-to-right step for generation: (batch, 1, dim) in, states and the new state out.

        Skips forward()'s masks and gathers, which cost as much as the recurrent cell at batch 1.
        """
        if self.backward_rnn is not None:
            raise ValueError("a bidirectional encoder cannot generate left to right")
        rnn = self.forward_rnn
        if self.training or inputs.size(1) != 1 or not rnn.bias:
            return rnn(inputs, state)
        # One step through torch's cell functions, layer by layer: the same arithmetic as nn.LSTM/GRU/RNN
        # without its per-call work (measured: 0.31 against 0.37 ms a step at hidden 512, docs/benchmarks.md).
        cell, lstm = CELLS[self.config.type], self.config.type == "lstm"
        x = inputs[:, 0]
        if state is None:
            zeros = x.new_zeros(rnn.num_layers, x.size(0), rnn.hidden_size)
            state = (zeros, zeros) if lstm else zeros
        hidden, memory = state if lstm else (state, None)
        # [w_ih, w_hh, b_ih, b_hh] a layer: nn.RNNBase keeps them in this list (getattr costs 6 us a step).
        weights = getattr(rnn, "_flat_weights", None) or [w for layer in rnn.all_weights for w in layer]
        new_hidden, new_memory = [], []
        for k in range(rnn.num_layers):
            layer = weights[4 * k:4 * k + 4]
            if lstm:
                h, c = cell(x, (hidden[k], memory[k]), *layer)
                new_memory.append(c.unsqueeze(0))
            else:
                h = cell(x, hidden[k], *layer)
            new_hidden.append(h.unsqueeze(0))
            x = h
        joined_hidden = new_hidden[0] if len(new_hidden) == 1 else torch.cat(new_hidden)
        if not lstm:
            return x.unsqueeze(1), joined_hidden
        return x.unsqueeze(1), (joined_hidden, new_memory[0] if len(new_memory) == 1 else torch.cat(new_memory))

    def forward(self, inputs: Tensor, lengths: Tensor, state: Any = None) -> EncoderOutput:
        unpadded = is_unpadded(lengths, inputs.size(1))
        if self.backward_rnn is not None:
            if unpadded and inputs.device.type == "cpu":  # cuDNN wants each module's weights in one buffer
                return self._bidirectional_unpadded(inputs, state)
            return self._bidirectional(inputs, lengths, state)
        states, final = self.forward_rnn(inputs, state)
        if unpadded:  # the final state is each sequence's own (an LM's chunks); nothing to mask
            top = (final[0] if isinstance(final, tuple) else final)[-1]
            return EncoderOutput(self.output_dropout(states), self.output_dropout(top), final)
        return self._output(states, last_real_state(states, lengths), None, lengths)

    def _bidirectional_unpadded(self, inputs: Tensor, state: Any) -> EncoderOutput:
        """_bidirectional for a batch with no padding: reversing each sequence is reversing the columns, which
        torch's own bidirectional layer does inside one call on both layers' weights, without copies."""
        forward_state, backward_state = state if state is not None else (None, None)
        layers = [(self.forward_rnn, self.backward_rnn), *zip(self.upper_forward, self.upper_backward)]
        run, lstm = FUSED[self.config.type], self.config.type == "lstm"
        for depth, (forward_layer, backward_layer) in enumerate(layers):
            if depth:
                inputs = self.output_dropout(inputs)
            start = _joined_state(_layer_state(forward_state, depth), _layer_state(backward_state, depth),
                                  inputs, forward_layer.hidden_size, lstm)
            weights = [*forward_layer._flat_weights, *backward_layer._flat_weights]
            inputs, *final = run(inputs, start, weights, forward_layer.bias, 1, 0.0, self.training, True, True)
        hidden = final[0]  # (2, batch, hidden): forward after the last token, backward after the first
        summary = torch.cat([hidden[0], hidden[1]], dim=-1)
        return EncoderOutput(states=self.output_dropout(inputs), summary=self.output_dropout(summary))

    def _bidirectional(self, inputs: Tensor, lengths: Tensor, state: Any) -> EncoderOutput:
        forward_state, backward_state = state if state is not None else (None, None)
        layers = [(self.forward_rnn, self.backward_rnn), *zip(self.upper_forward, self.upper_backward)]
        for depth, (forward_layer, backward_layer) in enumerate(layers):
            if depth:
                inputs = self.output_dropout(inputs)  # between layers, as nn.LSTM's dropout
            forward, _ = forward_layer(inputs, _layer_state(forward_state, depth))
            backward, _ = backward_layer(reverse_padded(inputs, lengths), _layer_state(backward_state, depth))
            # Padding after a sequence only ever reaches its padding positions in the next layer.
            inputs = torch.cat([forward, reverse_padded(backward, lengths)], dim=-1)
        hidden = self.config.hidden_size
        summary = torch.cat([last_real_state(inputs[..., :hidden], lengths), inputs[:, 0, hidden:]], dim=-1)
        return self._output(inputs, summary, None, lengths)  # carries_state is False: no state to return

    def _output(self, states: Tensor, summary: Tensor, carried: Any, lengths: Tensor) -> EncoderOutput:
        mask = lengths_to_mask(lengths, states.size(1)).unsqueeze(-1)
        states = self.output_dropout(states * mask)
        return EncoderOutput(states=states, summary=self.output_dropout(summary), state=carried)


def _joined_state(forward: Any, backward: Any, inputs: Tensor, hidden_size: int, lstm: bool) -> Any:
    """One layer's two directions' start states stacked (2, batch, hidden), as a fused bidirectional call takes
    them; zeros for a direction given none."""
    if forward is None and backward is None:  # the usual case: both start from zeros
        zeros = inputs.new_zeros(2, inputs.size(0), hidden_size)
        return (zeros, zeros) if lstm else zeros
    zeros = inputs.new_zeros(1, inputs.size(0), hidden_size)
    if lstm:
        forward, backward = forward or (zeros, zeros), backward or (zeros, zeros)
        return torch.cat([forward[0], backward[0]]), torch.cat([forward[1], backward[1]])
    return torch.cat([zeros if forward is None else forward, zeros if backward is None else backward])


def _layer_state(state: Any, depth: int) -> Any:
    """Layer ``depth``'s slice of a stacked (num_layers, batch, hidden) state, or of an LSTM's (h, c)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(part[depth:depth + 1] for part in state)
    return state[depth:depth + 1]
