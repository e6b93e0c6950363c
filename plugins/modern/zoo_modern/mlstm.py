"""mLSTM (Beck et al. 2024, xLSTM): a matrix memory per head, exponential input gate, stabiliser m.
C_t = f_t C_{t-1} + i_t v_t k_t^T, n_t = f_t n_{t-1} + i_t k_t, h_t = sigmoid(o~_t) * C_t q_t / max(|n_t . q_t|, 1),
f_t = sigmoid(f~_t), i_t = exp(i~_t). No gate reads h_{t-1}, so training uses the parallel form: inside a
chunk an attention-like (time x time) product with decay weights exp(F_t - F_s + i~_s), the matrix state
carried from chunk to chunk; generation uses the recurrent form (one token a step). Both give the same
states (tests/test_recurrences.py)."""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from zoo_modern.base import StackedEncoder, masked

BLOCKED = -1e9  # the input gate's log at padded steps: nothing is written
# FLOOR: the stabiliser m is floored at 0. h = (C q e^-m) / max(|n q| e^-m, e^-m) is the same for any m at or
# above the largest log-weight, and with m >= 0 the normaliser e^-m cannot overflow (it did, as a NaN in
# training, when the forget gates had decayed everything: m below -88).


class MLSTMLayer(nn.Module):
    def __init__(self, input_dim: int, hidden_size: int, heads: int, chunk_size: int):
        super().__init__()
        self.heads, self.head_size, self.chunk_size = heads, hidden_size // heads, chunk_size
        self.qkvo = nn.Linear(input_dim, 4 * hidden_size)
        self.gates = nn.Linear(input_dim, 2 * heads)
        with torch.no_grad():  # forget gates open at the start, as in xLSTM
            self.gates.bias[heads:].copy_(torch.linspace(3.0, 6.0, heads))
        self.out_dim = hidden_size

    def forward(self, x, mask, lengths, state):
        batch, time, _ = x.shape
        heads, size = self.heads, self.head_size
        q, k, v, o = self.qkvo(x).chunk(4, dim=-1)
        split = lambda t: t.view(batch, time, heads, size).transpose(1, 2)  # noqa: E731  (batch, heads, time, size)
        q, k, v = split(q), split(k) / math.sqrt(size), split(v)
        log_write, forget = self.gates(x).chunk(2, dim=-1)
        log_write = masked(log_write, mask, BLOCKED).transpose(1, 2)  # (batch, heads, time)
        log_forget = masked(F.logsigmoid(forget), mask, 0.0).transpose(1, 2)
        if state is None:
            state = (x.new_zeros(batch, heads, size, size), x.new_zeros(batch, heads, size), x.new_zeros(batch, heads))
        form = recurrent if time == 1 else parallel
        outputs = []
        for start in range(0, time, self.chunk_size):
            piece = slice(start, start + self.chunk_size)
            h, state = form(q[:, :, piece], k[:, :, piece], v[:, :, piece], log_write[:, :, piece],
                            log_forget[:, :, piece], state)
            outputs.append(h)
        h = torch.cat(outputs, dim=2).transpose(1, 2).reshape(batch, time, heads * size)
        return torch.sigmoid(o) * h, state


def parallel(q, k, v, log_write, log_forget, state):
    """One chunk at once: (batch, heads, time, size) in; the states and the state after the chunk out."""
    memory, normaliser, stabiliser = state  # C (b, h, v, k), n (b, h, k), m (b, h)
    time = q.size(2)
    cumulative = torch.cumsum(log_forget, dim=-1)  # F_t
    causal = torch.ones(time, time, dtype=torch.bool, device=q.device).tril()
    log_weights = (cumulative.unsqueeze(-1) - cumulative.unsqueeze(-2) + log_write.unsqueeze(-2))
    log_weights = log_weights.masked_fill(~causal, float("-inf"))  # [t, s] = F_t - F_s + i~_s, s <= t
    log_carried = cumulative + stabiliser.unsqueeze(-1)  # what the state before the chunk weighs at t
    top = torch.maximum(log_weights.amax(dim=-1), log_carried).clamp_min(0.0)  # m_t, floored: see FLOOR
    weights = torch.exp(log_weights - top.unsqueeze(-1))
    carried = torch.exp(log_carried - top)
    scores = (q @ k.transpose(-1, -2)) * weights
    numerator = scores @ v + carried.unsqueeze(-1) * torch.einsum("bhtk,bhvk->bhtv", q, memory)
    denominator = scores.sum(-1) + carried * torch.einsum("bhtk,bhk->bht", q, normaliser)
    h = numerator / torch.maximum(denominator.abs(), torch.exp(-top)).unsqueeze(-1)
    # The state after the chunk's last step, scaled by its stabiliser.
    last = top[..., -1]
    final = torch.exp(cumulative[..., -1:] - cumulative + log_write - last.unsqueeze(-1))  # (b, h, s)
    keep = torch.exp(cumulative[..., -1] + stabiliser - last).unsqueeze(-1)
    memory = keep.unsqueeze(-1) * memory + torch.einsum("bhs,bhsv,bhsk->bhvk", final, v, k)
    normaliser = keep * normaliser + torch.einsum("bhs,bhsk->bhk", final, k)
    return h, (memory, normaliser, last)


def recurrent(q, k, v, log_write, log_forget, state):
    """Token by token (generation): the same states as ``parallel``."""
    memory, normaliser, stabiliser = state
    outputs = []
    for t in range(q.size(2)):
        top = torch.maximum(log_forget[..., t] + stabiliser, log_write[..., t]).clamp_min(0.0)  # see FLOOR
        write = torch.exp(log_write[..., t] - top).unsqueeze(-1)
        keep = torch.exp(log_forget[..., t] + stabiliser - top).unsqueeze(-1)
        key, value, query = k[:, :, t], v[:, :, t], q[:, :, t]
        memory = keep.unsqueeze(-1) * memory + write.unsqueeze(-1) * value.unsqueeze(-1) * key.unsqueeze(-2)
        normaliser = keep * normaliser + write * key
        numerator = (memory @ query.unsqueeze(-1)).squeeze(-1)
        denominator = (normaliser * query).sum(-1).abs()
        outputs.append(numerator / torch.maximum(denominator, torch.exp(-top)).unsqueeze(-1))
        stabiliser = top
    return torch.stack(outputs, dim=2), (memory, normaliser, stabiliser)


class MLSTMEncoder(StackedEncoder):
    def make_layer(self, input_dim: int, index: int) -> nn.Module:
        config = self.config
        return MLSTMLayer(input_dim, config.hidden_size, config.heads, config.chunk_size)
