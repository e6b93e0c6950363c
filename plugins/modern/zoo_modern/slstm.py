"""sLSTM (Beck et al. 2024, xLSTM): exponential input gate with a stabiliser m, normaliser n.
m_t = max(log f_t + m_{t-1}, i~_t), i_t = exp(i~_t - m_t), f_t = exp(log f_t + m_{t-1} - m_t),
c_t = f_t c_{t-1} + i_t tanh(z~_t), n_t = f_t n_{t-1} + i_t, h_t = sigmoid(o~_t) c_t / n_t.
Its gates read h_{t-1} through a recurrent matrix, so it cannot parallelise over time (by design: the paper's
state-tracking cell); the input product runs over the whole sequence, the rest is a loop."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from zoo_modern.base import StackedEncoder, gather_last


class SLSTMLayer(nn.Module):
    def __init__(self, input_dim: int, hidden_size: int):
        super().__init__()
        self.input = nn.Linear(input_dim, 4 * hidden_size)
        self.recurrent = nn.Linear(hidden_size, 4 * hidden_size, bias=False)
        with torch.no_grad():  # forget gates open at the start (as xLSTM): remember by default
            self.input.bias[2 * hidden_size:3 * hidden_size].uniform_(3.0, 6.0)
        self.out_dim = hidden_size

    def forward(self, x, mask, lengths, state):
        batch, time, _ = x.shape
        size = self.out_dim
        pre = self.input(x).transpose(0, 1)
        h, c, n, m = state if state is not None else (x.new_zeros(4, batch, size)).unbind(0)
        weight = self.recurrent.weight.t()
        outputs, kept = [], []
        for t in range(time):
            z, i, f, o = torch.addmm(pre[t], h, weight).chunk(4, dim=-1)
            log_f = F.logsigmoid(f)
            m_new = torch.maximum(log_f + m, i)
            write, keep = torch.exp(i - m_new), torch.exp(log_f + m - m_new)
            c = keep * c + write * torch.tanh(z)
            n = keep * n + write
            m = m_new
            h = torch.sigmoid(o) * c / n
            outputs.append(h)
            if mask is not None:  # padded: read each sequence's state at its own last token
                kept.append(torch.stack([c, n, m], dim=1))
        states = torch.stack(outputs, dim=1)
        if mask is None:
            return states, (h, c, n, m)
        c, n, m = gather_last(torch.stack(kept, dim=1), lengths).unbind(1)
        return states, (gather_last(states, lengths), c, n, m)


class SLSTMEncoder(StackedEncoder):
    def make_layer(self, input_dim: int, index: int) -> nn.Module:
        return SLSTMLayer(input_dim, self.config.hidden_size)
