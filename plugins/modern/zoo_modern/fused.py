"""minGRU's and minLSTM's gates and recurrence in one compiled loop (numba, CPU; `pip install zoo-modern[fast]`).

The torch paths run the gates as whole-sequence element-wise ops, each a fresh (batch, time, hidden)
tensor forward and several more backward; on this CPU those cost more than the matrix products
(docs/modern.md). Here torch does one sigmoid over the whole projection (vectorised) and a numba loop does
the rest in one pass each way: forward reads the projection and its sigmoid and writes the states; backward
reads them with the states' gradient and writes the projection's gradient, with no temporaries. Padded
steps (t >= length) are identity steps, as in `scanned`. Without numba, `mode: auto` keeps the torch loop
(`sequential`); tests/test_fused.py checks that both give the same states and gradients.
"""
from __future__ import annotations

import importlib.util

import torch
from torch import Tensor

NUMBA = importlib.util.find_spec("numba") is not None
DTYPES = (torch.float32, torch.float64)

CELLS = {"mingru": 1, "minlstm": 2}  # gates before the candidate in the projection: z; or f and i

if NUMBA:
    from numba import njit

    @njit(inline="always")
    def _keep(gates, sigmoid, b, t, j, hidden):  # pragma: no cover - compiled; a_t = 1 - z, or f / (f + i)
        if gates == 1:
            return 1.0 - sigmoid[b, t, j]
        return sigmoid[b, t, j] / (sigmoid[b, t, j] + sigmoid[b, t, hidden + j])

    @njit(cache=True)
    def _forward(gates, projection, sigmoid, h0, lengths, states):  # pragma: no cover - compiled
        batch, time, hidden = states.shape
        for b in range(batch):
            h, length = h0[b].copy(), min(lengths[b], time)
            for t in range(length):
                for j in range(hidden):
                    c = projection[b, t, gates * hidden + j]
                    candidate = c + 0.5 if c >= 0 else sigmoid[b, t, gates * hidden + j]
                    if gates == 1:  # minGRU: (1 - z) h + z g(c)
                        h[j] += sigmoid[b, t, j] * (candidate - h[j])
                    else:  # minLSTM: (f h + i g(c)) / (f + i)
                        f, i = sigmoid[b, t, j], sigmoid[b, t, hidden + j]
                        h[j] = (f * h[j] + i * candidate) / (f + i)
                states[b, t] = h
            for t in range(length, time):  # padded: identity steps
                states[b, t] = h

    @njit(cache=True)
    def _backward(gates, projection, sigmoid, h0, lengths, states, grad_states, grad_projection, grad_h0):  # pragma: no cover
        batch, time, hidden = states.shape
        for b in range(batch):
            length = min(lengths[b], time)
            delta = grad_states[b, time - 1].copy()  # dL/dh_t, carried back through a_{t+1} (1 when padded)
            for t in range(time - 1, -1, -1):
                if t < time - 1:
                    for j in range(hidden):
                        keep = _keep(gates, sigmoid, b, t + 1, j, hidden) if t + 1 < length else 1.0
                        delta[j] = grad_states[b, t, j] + keep * delta[j]
                if t >= length:
                    grad_projection[b, t] = 0.0
                    continue
                for j in range(hidden):
                    previous = states[b, t - 1, j] if t else h0[b, j]
                    c, sc = projection[b, t, gates * hidden + j], sigmoid[b, t, gates * hidden + j]
                    candidate = c + 0.5 if c >= 0 else sc
                    slope = 1.0 if c >= 0 else sc * (1.0 - sc)
                    if gates == 1:  # dh/dz = g(c) - h', dh/dg(c) = z
                        z = sigmoid[b, t, j]
                        grad_projection[b, t, j] = delta[j] * (candidate - previous) * z * (1.0 - z)
                        grad_projection[b, t, hidden + j] = delta[j] * z * slope
                    else:  # dh/df = i (h' - g) / s^2, dh/di = f (g - h') / s^2, dh/dg = i / s; s = f + i
                        f, i = sigmoid[b, t, j], sigmoid[b, t, hidden + j]
                        total = f + i
                        shared = delta[j] * (previous - candidate) / (total * total)
                        grad_projection[b, t, j] = shared * i * f * (1.0 - f)
                        grad_projection[b, t, hidden + j] = -shared * f * i * (1.0 - i)
                        grad_projection[b, t, 2 * hidden + j] = delta[j] * i / total * slope
            for j in range(hidden):
                grad_h0[b, j] = delta[j] * (_keep(gates, sigmoid, b, 0, j, hidden) if length else 1.0)


def usable(mode: str, x: Tensor) -> bool:
    """Whether ``mode`` runs the compiled loop for ``x``: `fused`, or `auto` on a CPU float tensor with numba."""
    if mode == "fused":
        if not NUMBA:
            raise RuntimeError("encoder.mode 'fused' needs numba: pip install 'zoo-modern[fast]', or set "
                               "encoder.mode=auto")
        if x.device.type != "cpu" or x.dtype not in DTYPES:
            raise RuntimeError(f"encoder.mode 'fused' runs on CPU float32/float64 tensors, not {x.device.type} "
                               f"{x.dtype}; set encoder.mode=auto")
        return True
    return mode == "auto" and NUMBA and x.device.type == "cpu" and x.dtype in DTYPES


class FusedRecurrence(torch.autograd.Function):
    """States (batch, time, hidden) of minGRU or minLSTM from the layer's projection; one autograd node."""

    @staticmethod
    def forward(ctx, cell: str, projection: Tensor, h0: Tensor, lengths: Tensor) -> Tensor:
        projection = projection.contiguous()
        sigmoid = torch.sigmoid(projection)
        h0 = h0.to(projection.dtype).contiguous()
        lengths = lengths.to(device="cpu", dtype=torch.int64).contiguous()
        batch, time, width = projection.shape
        states = projection.new_empty(batch, time, h0.size(1))
        _forward(CELLS[cell], projection.detach().numpy(), sigmoid.numpy(), h0.detach().numpy(), lengths.numpy(), states.numpy())
        ctx.cell = cell
        ctx.save_for_backward(projection, sigmoid, h0, lengths, states)
        return states

    @staticmethod
    def backward(ctx, grad_states: Tensor):
        projection, sigmoid, h0, lengths, states = ctx.saved_tensors
        grad_states = grad_states.to(states.dtype).contiguous()
        grad_projection, grad_h0 = torch.empty_like(projection), torch.empty_like(h0)
        _backward(CELLS[ctx.cell], projection.detach().numpy(), sigmoid.numpy(), h0.detach().numpy(), lengths.numpy(),
                 states.detach().numpy(), grad_states.numpy(), grad_projection.numpy(), grad_h0.numpy())
        return None, grad_projection, grad_h0, None


def fused_states(cell: str, projection: Tensor, h0, lengths: Tensor, hidden: int):
    """(states, last state) as `scanned` returns them; h0 None starts from zeros."""
    if h0 is None:
        h0 = projection.new_zeros(projection.size(0), hidden)
    states = FusedRecurrence.apply(cell, projection, h0, lengths)
    return states, states[:, -1]
