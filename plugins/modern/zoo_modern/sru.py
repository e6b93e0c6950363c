"""SRU (Lei et al. 2018): f_t = sigmoid(W_f x_t + v_f * c_{t-1} + b_f), c_t = f_t c_{t-1} + (1 - f_t) W x_t,
r_t = sigmoid(W_r x_t + v_r * c_{t-1} + b_r), h_t = r_t c_t + (1 - r_t) x'_t (highway; x' = x, or a
projection of it when the sizes differ). All products run over the whole sequence; only c needs a loop:
three fused element-wise ops a step, and a hand-written backward that is one linear recurrence."""
from __future__ import annotations

import torch
from torch import nn

from zoo_modern.base import StackedEncoder, gather_last
from zoo_modern.scan import reverse_recurrence


class SRUCells(torch.autograd.Function):
    """c_t = lerp(x_t, c_{t-1}, f_t), f_t = sigmoid(u_t + v * c_{t-1}), time-major (time, batch, units)."""

    @staticmethod
    def forward(ctx, u, x, v, c0):
        u, x = u.contiguous(), x.contiguous()
        cells, forget = torch.empty_like(x), torch.empty_like(x)
        c = c0
        for t in range(x.size(0)):
            f = torch.addcmul(u[t], v, c, out=forget[t]).sigmoid_()
            c = torch.lerp(x[t], c, f, out=cells[t])
        ctx.save_for_backward(x, v, c0, cells, forget)
        return cells

    @staticmethod
    def backward(ctx, grad_cells):
        x, v, c0, cells, forget = ctx.saved_tensors
        previous = torch.cat([c0.unsqueeze(0), cells[:-1]])
        slope = forget * (1 - forget) * (previous - x)  # dc_t/df_t times df_t/dpre_t
        through = forget + slope * v  # dc_t/dc_{t-1}
        carry = torch.cat([through[1:], torch.zeros_like(through[:1])])
        total = reverse_recurrence(carry, grad_cells.contiguous())  # dL/dc_t
        grad_pre = total * slope
        return grad_pre, total * (1 - forget), (grad_pre * previous).sum(dim=(0, 1)), total[0] * through[0]


class SRULayer(nn.Module):
    def __init__(self, input_dim: int, hidden_size: int):
        super().__init__()
        self.highway_projection = input_dim != hidden_size
        self.projection = nn.Linear(input_dim, (4 if self.highway_projection else 3) * hidden_size)
        self.peepholes = nn.Parameter(torch.empty(2, hidden_size).uniform_(-0.5, 0.5))  # v_f, v_r
        self.out_dim = hidden_size

    def forward(self, x, mask, lengths, state):
        parts = self.projection(x).chunk(4 if self.highway_projection else 3, dim=-1)
        candidate, forget, reset = parts[:3]
        highway = parts[3] if self.highway_projection else x
        c0 = state if state is not None else x.new_zeros(x.size(0), self.out_dim)
        cells = SRUCells.apply(forget.transpose(0, 1), candidate.transpose(0, 1), self.peepholes[0], c0).transpose(0, 1)
        previous = torch.cat([c0.unsqueeze(1), cells[:, :-1]], dim=1)
        r = torch.sigmoid(torch.addcmul(reset, self.peepholes[1], previous))
        return torch.lerp(highway, cells, r), gather_last(cells, lengths)


class SRUEncoder(StackedEncoder):
    def make_layer(self, input_dim: int, index: int) -> nn.Module:
        return SRULayer(input_dim, self.config.hidden_size)
