"""QRNN (Bradbury et al. 2017), fo-pooling: z, f, o from a causal convolution over the last ``window``
tokens, c_t = f_t c_{t-1} + (1 - f_t) z_t, h_t = o_t c_t. The convolution runs over the whole sequence
at once; the pooling is an element-wise scan. The state is c and the last window - 1 inputs (so the
convolution continues across chunks)."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from zoo_modern import fused
from zoo_modern.base import StackedEncoder, scanned
from zoo_modern.scan import choose_mode


class QRNNLayer(nn.Module):
    def __init__(self, input_dim: int, hidden_size: int, window: int, mode: str):
        super().__init__()
        self.convolution = nn.Conv1d(input_dim, 3 * hidden_size, window)
        self.window, self.mode, self.out_dim = window, mode, hidden_size

    def forward(self, x, mask, lengths, state):
        batch, time, dim = x.shape
        cell, history = state if state is not None else (None, x.new_zeros(batch, self.window - 1, dim))
        extended = torch.cat([history, x], dim=1)  # the window before the first token comes from the state
        gates = self.convolution(extended.transpose(1, 2)).transpose(1, 2)
        z_and_f, o = gates.split([2 * self.out_dim, self.out_dim], dim=-1)
        if fused.usable(self.mode, x):
            cells, last = fused.fused_states("qrnn", z_and_f, cell, lengths, self.out_dim)
        else:
            z, f = z_and_f.chunk(2, dim=-1)
            keep = torch.sigmoid(f)
            log_keep = F.logsigmoid(f) if choose_mode(self.mode, time, x.device) == "scan" else None
            cells, last = scanned(keep, (1 - keep) * torch.tanh(z), mask, cell, self.mode, log_keep)
        # Each sequence's own last window - 1 inputs: positions lengths .. lengths + window - 2 of extended.
        index = lengths.view(-1, 1) + torch.arange(self.window - 1, device=x.device)
        history = extended.gather(1, index.unsqueeze(-1).expand(-1, -1, dim))
        return torch.sigmoid(o) * cells, (last, history)


class QRNNEncoder(StackedEncoder):
    def make_layer(self, input_dim: int, index: int) -> nn.Module:
        return QRNNLayer(input_dim, self.config.hidden_size, self.config.window, self.config.mode)
