"""minGRU's, minLSTM's and QRNN's gates and recurrence in one compiled loop (numba, CPU; zoo-modern[fast]).

The torch paths run the gates as whole-sequence element-wise ops, each a fresh (batch, time, hidden)
tensor forward and several more backward; on this CPU those cost more than the matrix products
(docs/modern.md). Here torch activates the whole projection (one vectorised sigmoid, or tanh and sigmoid
for QRNN) and a numba loop does the rest in one pass each way: forward reads the projection and its
activations and writes the states; backward reads them with the states' gradient and writes the
projection's gradient, with no temporaries. Padded steps (t >= length) are identity steps, as in
`scanned`. Without numba, `mode: auto` keeps the torch loop (`sequential`); tests/test_fused.py checks
that both give the same states and gradients.
"""
from __future__ import annotations

import importlib.util

import torch
from torch import Tensor

from zoo_core.plugin import ConfigError

NUMBA = importlib.util.find_spec("numba") is not None
DTYPES = (torch.float32, torch.float64)

if NUMBA:
    from numba import njit

    # One kernel per cell and direction: a shared kernel with a switch on the cell ran 2-5x slower here
    # (the switch kept LLVM from vectorising the loop over units). g(c) = c + 1/2 (c >= 0) or sigmoid(c).

    @njit(cache=True)
    def _mingru_forward(projection, active, h0, lengths, states):  # pragma: no cover - compiled
        batch, time, hidden = states.shape  # projection: z, c; h = (1 - z) h + z g(c)
        for b in range(batch):
            h, length = h0[b].copy(), min(lengths[b], time)
            for t in range(length):
                for j in range(hidden):
                    c = projection[b, t, hidden + j]
                    candidate = c + 0.5 if c >= 0 else active[b, t, hidden + j]
                    h[j] += active[b, t, j] * (candidate - h[j])
                states[b, t] = h
            for t in range(length, time):  # padded: identity steps
                states[b, t] = h

    @njit(cache=True)
    def _minlstm_forward(projection, active, h0, lengths, states):  # pragma: no cover - compiled
        batch, time, hidden = states.shape  # projection: f, i, c; h = (f h + i g(c)) / (f + i)
        for b in range(batch):
            h, length = h0[b].copy(), min(lengths[b], time)
            for t in range(length):
                for j in range(hidden):
                    c = projection[b, t, 2 * hidden + j]
                    candidate = c + 0.5 if c >= 0 else active[b, t, 2 * hidden + j]
                    f, i = active[b, t, j], active[b, t, hidden + j]
                    h[j] = (f * h[j] + i * candidate) / (f + i)
                states[b, t] = h
            for t in range(length, time):
                states[b, t] = h

    @njit(cache=True)
    def _qrnn_forward(projection, active, h0, lengths, states):  # pragma: no cover - compiled
        batch, time, hidden = states.shape  # active: tanh(z), f; c = f c + (1 - f) tanh(z)
        for b in range(batch):
            h, length = h0[b].copy(), min(lengths[b], time)
            for t in range(length):
                for j in range(hidden):
                    candidate = active[b, t, j]
                    h[j] = candidate + active[b, t, hidden + j] * (h[j] - candidate)
                states[b, t] = h
            for t in range(length, time):
                states[b, t] = h

    @njit(cache=True)
    def _mingru_backward(projection, active, h0, lengths, states, grad_states, grad_projection, grad_h0):  # pragma: no cover
        batch, time, hidden = states.shape
        for b in range(batch):
            length = min(lengths[b], time)
            delta = grad_states[b, time - 1].copy()  # dL/dh_t, carried back through a_{t+1} (1 when padded)
            for t in range(time - 1, -1, -1):
                if t < time - 1:
                    if t + 1 < length:
                        for j in range(hidden):
                            delta[j] = grad_states[b, t, j] + (1.0 - active[b, t + 1, j]) * delta[j]
                    else:
                        delta += grad_states[b, t]
                if t >= length:
                    grad_projection[b, t] = 0.0
                    continue
                previous = states[b, t - 1] if t else h0[b]
                for j in range(hidden):  # dh/dz = g(c) - h', dh/dg(c) = z
                    z, c, sc = active[b, t, j], projection[b, t, hidden + j], active[b, t, hidden + j]
                    candidate = c + 0.5 if c >= 0 else sc
                    slope = 1.0 if c >= 0 else sc * (1.0 - sc)
                    grad_projection[b, t, j] = delta[j] * (candidate - previous[j]) * z * (1.0 - z)
                    grad_projection[b, t, hidden + j] = delta[j] * z * slope
            for j in range(hidden):
                grad_h0[b, j] = delta[j] * (1.0 - active[b, 0, j]) if length else delta[j]

    @njit(cache=True)
    def _minlstm_backward(projection, active, h0, lengths, states, grad_states, grad_projection, grad_h0):  # pragma: no cover
        batch, time, hidden = states.shape
        for b in range(batch):
            length = min(lengths[b], time)
            delta = grad_states[b, time - 1].copy()
            for t in range(time - 1, -1, -1):
                if t < time - 1:
                    if t + 1 < length:
                        for j in range(hidden):
                            f, i = active[b, t + 1, j], active[b, t + 1, hidden + j]
                            delta[j] = grad_states[b, t, j] + f / (f + i) * delta[j]
                    else:
                        delta += grad_states[b, t]
                if t >= length:
                    grad_projection[b, t] = 0.0
                    continue
                previous = states[b, t - 1] if t else h0[b]
                for j in range(hidden):  # dh/df = i (h' - g) / s^2, dh/di = f (g - h') / s^2, dh/dg = i / s
                    f, i = active[b, t, j], active[b, t, hidden + j]
                    c, sc = projection[b, t, 2 * hidden + j], active[b, t, 2 * hidden + j]
                    candidate = c + 0.5 if c >= 0 else sc
                    slope = 1.0 if c >= 0 else sc * (1.0 - sc)
                    total = f + i
                    shared = delta[j] * (previous[j] - candidate) / (total * total)
                    grad_projection[b, t, j] = shared * i * f * (1.0 - f)
                    grad_projection[b, t, hidden + j] = -shared * f * i * (1.0 - i)
                    grad_projection[b, t, 2 * hidden + j] = delta[j] * i / total * slope
            for j in range(hidden):
                f, i = active[b, 0, j], active[b, 0, hidden + j]
                grad_h0[b, j] = delta[j] * f / (f + i) if length else delta[j]

    @njit(cache=True)
    def _qrnn_backward(projection, active, h0, lengths, states, grad_states, grad_projection, grad_h0):  # pragma: no cover
        batch, time, hidden = states.shape
        for b in range(batch):
            length = min(lengths[b], time)
            delta = grad_states[b, time - 1].copy()
            for t in range(time - 1, -1, -1):
                if t < time - 1:
                    if t + 1 < length:
                        for j in range(hidden):
                            delta[j] = grad_states[b, t, j] + active[b, t + 1, hidden + j] * delta[j]
                    else:
                        delta += grad_states[b, t]
                if t >= length:
                    grad_projection[b, t] = 0.0
                    continue
                previous = states[b, t - 1] if t else h0[b]
                for j in range(hidden):  # dh/df = h' - tanh(z), dh/dtanh(z) = 1 - f
                    candidate, f = active[b, t, j], active[b, t, hidden + j]
                    grad_projection[b, t, j] = delta[j] * (1.0 - f) * (1.0 - candidate * candidate)
                    grad_projection[b, t, hidden + j] = delta[j] * (previous[j] - candidate) * f * (1.0 - f)
            for j in range(hidden):
                grad_h0[b, j] = delta[j] * active[b, 0, hidden + j] if length else delta[j]

    KERNELS = {"mingru": (_mingru_forward, _mingru_backward), "minlstm": (_minlstm_forward, _minlstm_backward),
               "qrnn": (_qrnn_forward, _qrnn_backward)}


def usable(mode: str, x: Tensor) -> bool:
    """Whether ``mode`` runs the compiled loop for ``x``: `fused`, or `auto` on a CPU float tensor with numba."""
    if mode == "fused":
        if not NUMBA:
            raise ConfigError("encoder.mode 'fused' needs numba: pip install 'zoo-modern[fast]', or set "
                               "encoder.mode=auto")
        if x.device.type != "cpu" or x.dtype not in DTYPES:
            raise ConfigError(f"encoder.mode 'fused' runs on CPU float32/float64 tensors, not {x.device.type} "
                               f"{x.dtype}; set encoder.mode=auto")
        return True
    return mode == "auto" and NUMBA and x.device.type == "cpu" and x.dtype in DTYPES


def activate(cell: str, projection: Tensor) -> Tensor:
    """The gates' activations, one vectorised torch op each: sigmoid everywhere, but tanh on QRNN's z."""
    if cell != "qrnn":
        return torch.sigmoid(projection)
    z, f = projection.chunk(2, dim=-1)
    return torch.cat([torch.tanh(z), torch.sigmoid(f)], dim=-1)


class FusedRecurrence(torch.autograd.Function):
    """States (batch, time, hidden) from the layer's projection (minGRU: z, c; minLSTM: f, i, c; QRNN: z, f);
    one autograd node."""

    @staticmethod
    def forward(ctx, cell: str, projection: Tensor, h0: Tensor, lengths: Tensor) -> Tensor:
        projection = projection.contiguous()
        active = activate(cell, projection)
        h0 = h0.to(projection.dtype).contiguous()
        lengths = lengths.to(device="cpu", dtype=torch.int64).contiguous()
        states = projection.new_empty(*projection.shape[:2], h0.size(1))
        KERNELS[cell][0](projection.detach().numpy(), active.numpy(), h0.detach().numpy(), lengths.numpy(), states.numpy())
        ctx.cell = cell
        ctx.save_for_backward(projection, active, h0, lengths, states)
        return states

    @staticmethod
    def backward(ctx, grad_states: Tensor):
        projection, active, h0, lengths, states = ctx.saved_tensors
        grad_states = grad_states.to(states.dtype).contiguous()
        grad_projection, grad_h0 = torch.empty_like(projection), torch.empty_like(h0)
        KERNELS[ctx.cell][1](projection.detach().numpy(), active.numpy(), h0.detach().numpy(), lengths.numpy(),
                 states.detach().numpy(), grad_states.numpy(), grad_projection.numpy(), grad_h0.numpy())
        return None, grad_projection, grad_h0, None


def fused_states(cell: str, projection: Tensor, h0, lengths: Tensor, hidden: int):
    """(states, last state) as `scanned` returns them; h0 None starts from zeros."""
    if h0 is None:
        h0 = projection.new_zeros(projection.size(0), hidden)
    states = FusedRecurrence.apply(cell, projection, h0, lengths)
    return states, states[:, -1]
