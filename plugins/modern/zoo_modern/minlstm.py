"""minLSTM (Feng et al. 2024): h_t = f'_t h_{t-1} + i'_t g(W_h x_t) with f' = f / (f + i), i' = i / (f + i),
f_t = sigmoid(W_f x_t), i_t = sigmoid(W_i x_t): the normalised gates make it independent of time scale.
The gates read only the input: one product over the whole sequence, an element-wise scan over time."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from zoo_modern import fused
from zoo_modern.base import StackedEncoder, scanned
from zoo_modern.mingru import positive
from zoo_modern.scan import choose_mode


class MinLSTMLayer(nn.Module):
    def __init__(self, input_dim: int, hidden_size: int, mode: str):
        super().__init__()
        self.projection = nn.Linear(input_dim, 3 * hidden_size)
        self.mode, self.out_dim = mode, hidden_size

    def forward(self, x, mask, lengths, state):
        if fused.usable(self.mode, x):
            return fused.fused_states("minlstm", self.projection(x), state, lengths, self.out_dim)
        forget, write, candidate = self.projection(x).chunk(3, dim=-1)
        mode = choose_mode(self.mode, x.size(1), x.device)
        if mode == "scan":  # in log space, exact where a gate rounds to 0
            log_forget, log_write = F.logsigmoid(forget), F.logsigmoid(write)
            total = torch.logaddexp(log_forget, log_write)  # log(f + i)
            keep, log_keep, write = torch.exp(log_forget - total), log_forget - total, torch.exp(log_write - total)
        else:
            forget, write = torch.sigmoid(forget), torch.sigmoid(write)
            total = forget + write
            keep, log_keep, write = forget / total, None, write / total
        return scanned(keep, write * positive(candidate), mask, state, mode, log_keep)


class MinLSTMEncoder(StackedEncoder):
    def make_layer(self, input_dim: int, index: int) -> nn.Module:
        return MinLSTMLayer(input_dim, self.config.hidden_size, self.config.mode)
