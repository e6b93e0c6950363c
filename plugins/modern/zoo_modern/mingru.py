"""minGRU (Feng et al. 2024, "Were RNNs All We Needed?"): h_t = (1 - z_t) h_{t-1} + z_t g(W_h x_t),
z_t = sigmoid(W_z x_t). The gates read only the input, so both products run over the whole sequence
at once and the recurrence is element-wise (zoo_modern.scan)."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from zoo_modern import fused
from zoo_modern.base import StackedEncoder, scanned
from zoo_modern.scan import choose_mode


def positive(x):
    """The paper's g: x + 1/2 for x >= 0, sigmoid(x) below; positive, so the log-space scan needs one log."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


class MinGRULayer(nn.Module):
    def __init__(self, input_dim: int, hidden_size: int, mode: str):
        super().__init__()
        self.projection = nn.Linear(input_dim, 2 * hidden_size)
        self.mode, self.out_dim = mode, hidden_size

    def forward(self, x, mask, lengths, state):
        if fused.usable(self.mode, x):
            return fused.fused_states("mingru", self.projection(x), state, lengths, self.out_dim)
        gate, candidate = self.projection(x).chunk(2, dim=-1)
        update = torch.sigmoid(gate)
        mode = choose_mode(self.mode, x.size(1), x.device)
        # The scan takes log(1 - z), exact where 1 - z rounds to 0; the loops take 1 - z itself (fewer ops).
        log_keep = -F.softplus(gate) if mode == "scan" else None
        return scanned(1 - update, update * positive(candidate), mask, state, mode, log_keep)


class MinGRUEncoder(StackedEncoder):
    def make_layer(self, input_dim: int, index: int) -> nn.Module:
        return MinGRULayer(input_dim, self.config.hidden_size, self.config.mode)
