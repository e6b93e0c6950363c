"""RWKV-4 (Peng et al. 2023, BlinkDL/RWKV-LM v4): pre-norm residual blocks of time-mix and channel-mix.

Time-mix: token shift (each input mixed with the one before, by learned ratios), k, v, r = sigmoid(.), and
wkv_t = (sum_{i<t} e^{-(t-1-i)w + k_i} v_i + e^{u + k_t} v_t) / (the same sums without v), out = W_o (r * wkv).
Channel-mix: token shift, sigmoid(W_r x) * W_v relu(W_k x)^2.

The WKV sums are a decaying linear recurrence, kept in log space with an exponent p (the numerator is
a e^p, the denominator b e^p) so e^k never overflows. Training computes them a chunk at a time with
logcumsumexp (no loop inside a chunk), carrying (a, b, p) from chunk to chunk; generation steps one
token at a time with RWKV-4's own stabilised recurrence. Both give the same states (tests).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from zoo_modern.base import StackedEncoder, gather_last, masked

BLOCKED = -1e9  # k at padded steps: they add nothing (and their decay is 0, so nothing fades either)
EMPTY = -1e30  # the exponent of an empty state


def wkv_sequential(w, u, k, v, state):
    """RWKV-4's recurrence, one token a step: (batch, time, channels) in, wkv and (a, b, p) out."""
    a, b, p = state
    outputs = []
    for t in range(k.size(1)):
        kt, vt, wt = k[:, t], v[:, t], w[:, t]
        bonus = u + kt
        top = torch.maximum(p, bonus)
        old, new = torch.exp(p - top), torch.exp(bonus - top)
        outputs.append((old * a + new * vt) / (old * b + new))
        decayed = p - wt
        top = torch.maximum(decayed, kt)
        old, new = torch.exp(decayed - top), torch.exp(kt - top)
        a, b, p = old * a + new * vt, old * b + new, top
    return torch.stack(outputs, dim=1), (a, b, p)


def wkv_chunk(w, u, k, v, state):
    """The same over one chunk at once, with prefix sums in log space (logcumsumexp).

    In float64: the exponents grow with the decay summed over the chunk (up to chunk x max w, hundreds),
    where float32 would keep only 5 digits; the chunk's few element-wise ops cost little beside the
    block's products.
    """
    dtype = v.dtype
    w, u, k, v = w.double(), u.double(), k.double(), v.double()
    a, b, p = (part.double() for part in state)
    decay = torch.cumsum(w, dim=1)  # W_j: the decay from the chunk's start through step j
    q = k + decay  # e^{q_i - W_j} is step i's weight after step j
    magnitude = torch.log(v.abs().clamp_min(1e-300))
    positive, negative = magnitude.masked_fill(v < 0, BLOCKED), magnitude.masked_fill(v >= 0, BLOCKED)
    sums = torch.stack([q + positive, q + negative, q], dim=0).logcumsumexp(dim=2)  # inclusive prefix sums
    before = F.pad(sums[:, :, :-1], (0, 0, 1, 0), value=EMPTY)  # exclusive: the steps before j
    bonus = u + k + F.pad(decay[:, :-1], (0, 0, 1, 0))  # e^{u + k_j} on the sums' scale (times e^{W_{j-1}})
    p_ = p.unsqueeze(1)
    top = torch.maximum(torch.maximum(before.amax(dim=0), bonus), p_)
    scaled = torch.exp(before - top)
    old, new = torch.exp(p_ - top), torch.exp(bonus - top)
    numerator = old * a.unsqueeze(1) + scaled[0] - scaled[1] + new * v
    denominator = old * b.unsqueeze(1) + scaled[2] + new
    last = sums[:, :, -1]
    top = torch.maximum(last.amax(dim=0), p)
    scaled, old = torch.exp(last - top), torch.exp(p - top)
    state = (old * a + scaled[0] - scaled[1], old * b + scaled[2], top - decay[:, -1])
    return (numerator / denominator).to(dtype), tuple(part.to(dtype) for part in state)


def shifted(x: Tensor, previous: Tensor) -> Tensor:
    """Each step's input one step back: the state's last input before the first."""
    return torch.cat([previous.unsqueeze(1), x[:, :-1]], dim=1)


class RWKVBlock(nn.Module):
    def __init__(self, input_dim: int, hidden_size: int, ffn_size: int, chunk_size: int, index: int, layers: int):
        super().__init__()
        size = hidden_size
        self.entry = nn.Linear(input_dim, size) if input_dim != size else None
        self.norms = nn.ModuleList([nn.LayerNorm(size), nn.LayerNorm(size)])
        # RWKV-4's initialisation: decays spread over channels (slower in deeper layers), shift ratios by depth.
        depth = index / max(1, layers - 1) if layers > 1 else 0.0
        ratio = torch.arange(size) / max(1, size - 1)
        self.time_decay = nn.Parameter(-5 + 8 * ratio ** (0.7 + 1.3 * depth))  # w = exp(time_decay)
        self.time_first = nn.Parameter(torch.full((size,), 0.5) + 0.3 * ((torch.arange(size) % 3) - 1))  # u
        shift = ratio ** (1.0 - depth)
        self.time_mix = nn.Parameter(torch.stack([shift, shift * 0.7 + 0.3 * ratio, 0.5 * shift]))  # k, v, r
        self.channel_mix = nn.Parameter(torch.stack([shift, shift]))  # k, r
        self.key, self.value, self.receptance = (nn.Linear(size, size, bias=False) for _ in range(3))
        self.mixed = nn.Linear(size, size, bias=False)
        ffn = ffn_size or 4 * size
        self.ffn_key, self.ffn_value = nn.Linear(size, ffn, bias=False), nn.Linear(ffn, size, bias=False)
        self.ffn_receptance = nn.Linear(size, size, bias=False)
        self.chunk_size, self.out_dim = chunk_size, size

    def forward(self, x, mask, lengths, state):
        if self.entry is not None:
            x = self.entry(x)
        batch, time, size = x.shape
        if state is None:
            zeros = x.new_zeros(batch, size)
            state = (zeros, zeros, zeros, zeros, torch.full_like(zeros, EMPTY))
        previous_mix, previous_ffn, a, b, p = state
        mixed_in = self.norms[0](x)
        before = shifted(mixed_in, previous_mix)
        mk, mv, mr = (torch.lerp(before, mixed_in, ratio) for ratio in self.time_mix)
        k = masked(self.key(mk), mask, BLOCKED)
        v, r = self.value(mv), torch.sigmoid(self.receptance(mr))
        w = masked(torch.exp(self.time_decay).expand(batch, time, size), mask, 0.0)
        wkv, (a, b, p) = self._wkv(w, k, v, (a, b, p))
        x = x + self.mixed(r * wkv)
        ffn_in = self.norms[1](x)
        before = shifted(ffn_in, previous_ffn)
        fk, fr = (torch.lerp(before, ffn_in, ratio) for ratio in self.channel_mix)
        x = x + torch.sigmoid(self.ffn_receptance(fr)) * self.ffn_value(torch.relu(self.ffn_key(fk)) ** 2)
        lasts = (mixed_in[:, -1], ffn_in[:, -1]) if mask is None else (gather_last(mixed_in, lengths),
                                                                       gather_last(ffn_in, lengths))
        return x, (*lasts, a, b, p)

    def _wkv(self, w, k, v, state):
        if k.size(1) == 1:  # a generated token: RWKV-4's recurrent step
            return wkv_sequential(w, self.time_first, k, v, state)
        outputs = []
        for start in range(0, k.size(1), self.chunk_size):
            piece = slice(start, start + self.chunk_size)
            out, state = wkv_chunk(w[:, piece], self.time_first, k[:, piece], v[:, piece], state)
            outputs.append(out)
        return torch.cat(outputs, dim=1), state


class RWKVEncoder(StackedEncoder):
    def make_layer(self, input_dim: int, index: int) -> nn.Module:
        config = self.config
        return RWKVBlock(input_dim, config.hidden_size, config.ffn_size, config.chunk_size, index, config.num_layers)
