"""LRU, the linear recurrent unit (Orvieto et al. 2023): x_t = lambda * x_t-1 + gamma * (B u_t), complex and
diagonal, lambda = exp(-exp(nu) + i exp(theta)) (|lambda| < 1 by construction), gamma = sqrt(1 - |lambda|^2);
y_t = gelu(Re(C x_t) + D u_t). Time-invariant and element-wise: the same scan as minGRU, on complex numbers."""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from zoo_modern.base import StackedEncoder, scanned


class LRULayer(nn.Module):
    def __init__(self, input_dim: int, hidden_size: int, config):
        super().__init__()
        size = config.state_size
        # Ring initialisation: |lambda| uniform on [r_min, r_max] in area, phase uniform on [0, 2 pi).
        radius_squared = torch.rand(size) * (config.r_max ** 2 - config.r_min ** 2) + config.r_min ** 2
        self.log_nu = nn.Parameter(torch.log(-0.5 * torch.log(radius_squared)))
        self.log_theta = nn.Parameter(torch.log(2 * math.pi * torch.rand(size).clamp_min(1e-4)))
        self.input = nn.Linear(input_dim, 2 * size, bias=False)  # B: real and imaginary parts
        self.output = nn.Linear(2 * size, hidden_size)  # Re(C x) = C_re x_re - C_im x_im
        self.skip = nn.Linear(input_dim, hidden_size, bias=False)  # D (a diagonal when sizes agree, here dense)
        self.mode, self.out_dim = config.mode, hidden_size

    def forward(self, x, mask, lengths, state):
        log_decay = torch.complex(-torch.exp(self.log_nu), torch.exp(self.log_theta))
        gamma = torch.sqrt(-torch.expm1(2 * log_decay.real))  # sqrt(1 - |lambda|^2)
        real, imaginary = self.input(x).chunk(2, dim=-1)
        b = torch.complex(real, imaginary) * gamma
        log_a = log_decay.expand_as(b)  # a view: the loop reads the same decay at every step
        states, last = scanned(torch.exp(log_decay).expand_as(b), b, mask, state, self.mode, log_a)
        return F.gelu(self.output(torch.cat([states.real, states.imag], dim=-1)) + self.skip(x)), last


class LRUEncoder(StackedEncoder):
    def make_layer(self, input_dim: int, index: int) -> nn.Module:
        return LRULayer(input_dim, self.config.hidden_size, self.config)
