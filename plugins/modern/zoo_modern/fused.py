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

if NUMBA:
    from numba import njit

    @njit(cache=True)
    def _mingru_forward(projection, sigmoid, h0, lengths, states):  # pragma: no cover - compiled
        batch, time, hidden = states.shape
        for b in range(batch):
            h = h0[b].copy()
            for t in range(time):
                if t < lengths[b]:
                    for j in range(hidden):
                        c = projection[b, t, hidden + j]
                        candidate = c + 0.5 if c >= 0 else sigmoid[b, t, hidden + j]
                        h[j] += sigmoid[b, t, j] * (candidate - h[j])  # (1 - z) h + z g(c)
                states[b, t] = h

    @njit(cache=True)
    def _mingru_backward(projection, sigmoid, h0, lengths, states, grad_states, grad_projection, grad_h0):  # pragma: no cover
        batch, time, hidden = states.shape
        for b in range(batch):
            delta = grad_states[b, time - 1].copy()  # dL/dh_t, carried back through a_{t+1} = 1 - z_{t+1}
            for t in range(time - 1, -1, -1):
                if t < time - 1:
                    if t + 1 < lengths[b]:
                        for j in range(hidden):
                            delta[j] = grad_states[b, t, j] + (1.0 - sigmoid[b, t + 1, j]) * delta[j]
                    else:
                        for j in range(hidden):
                            delta[j] += grad_states[b, t, j]
                if t >= lengths[b]:
                    grad_projection[b, t] = 0.0
                    continue
                for j in range(hidden):
                    previous = states[b, t - 1, j] if t else h0[b, j]
                    z, c, sc = sigmoid[b, t, j], projection[b, t, hidden + j], sigmoid[b, t, hidden + j]
                    candidate = c + 0.5 if c >= 0 else sc
                    slope = 1.0 if c >= 0 else sc * (1.0 - sc)
                    grad_projection[b, t, j] = delta[j] * (candidate - previous) * z * (1.0 - z)
                    grad_projection[b, t, hidden + j] = delta[j] * z * slope
            if lengths[b] > 0:
                for j in range(hidden):
                    grad_h0[b, j] = delta[j] * (1.0 - sigmoid[b, 0, j])
            else:
                grad_h0[b] = delta

    @njit(cache=True)
    def _minlstm_forward(projection, sigmoid, h0, lengths, states):  # pragma: no cover - compiled
        batch, time, hidden = states.shape
        for b in range(batch):
            h = h0[b].copy()
            for t in range(time):
                if t < lengths[b]:
                    for j in range(hidden):
                        f, i = sigmoid[b, t, j], sigmoid[b, t, hidden + j]
                        c = projection[b, t, 2 * hidden + j]
                        candidate = c + 0.5 if c >= 0 else sigmoid[b, t, 2 * hidden + j]
                        h[j] = (f * h[j] + i * candidate) / (f + i)
                states[b, t] = h

    @njit(cache=True)
    def _minlstm_backward(projection, sigmoid, h0, lengths, states, grad_states, grad_projection, grad_h0):  # pragma: no cover
        batch, time, hidden = states.shape
        for b in range(batch):
            delta = grad_states[b, time - 1].copy()
            for t in range(time - 1, -1, -1):
                if t < time - 1:
                    if t + 1 < lengths[b]:
                        for j in range(hidden):
                            f, i = sigmoid[b, t + 1, j], sigmoid[b, t + 1, hidden + j]
                            delta[j] = grad_states[b, t, j] + f / (f + i) * delta[j]
                    else:
                        for j in range(hidden):
                            delta[j] += grad_states[b, t, j]
                if t >= lengths[b]:
                    grad_projection[b, t] = 0.0
                    continue
                for j in range(hidden):
                    previous = states[b, t - 1, j] if t else h0[b, j]
                    f, i = sigmoid[b, t, j], sigmoid[b, t, hidden + j]
                    c, sc = projection[b, t, 2 * hidden + j], sigmoid[b, t, 2 * hidden + j]
                    candidate = c + 0.5 if c >= 0 else sc
                    slope = 1.0 if c >= 0 else sc * (1.0 - sc)
                    total = f + i
                    # h = (f h' + i g) / (f + i): d/df = i (h' - g) / s^2, d/di = f (g - h') / s^2
                    shared = delta[j] * (previous - candidate) / (total * total)
                    grad_projection[b, t, j] = shared * i * f * (1.0 - f)
                    grad_projection[b, t, hidden + j] = -shared * f * i * (1.0 - i)
                    grad_projection[b, t, 2 * hidden + j] = delta[j] * i / total * slope
            if lengths[b] > 0:
                for j in range(hidden):
                    f, i = sigmoid[b, 0, j], sigmoid[b, 0, hidden + j]
                    grad_h0[b, j] = delta[j] * f / (f + i)
            else:
                grad_h0[b] = delta

    KERNELS = {"mingru": (_mingru_forward, _mingru_backward), "minlstm": (_minlstm_forward, _minlstm_backward)}


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
        forward, _ = KERNELS[cell]
        forward(projection.detach().numpy(), sigmoid.numpy(), h0.detach().numpy(), lengths.numpy(), states.numpy())
        ctx.cell = cell
        ctx.save_for_backward(projection, sigmoid, h0, lengths, states)
        return states

    @staticmethod
    def backward(ctx, grad_states: Tensor):
        projection, sigmoid, h0, lengths, states = ctx.saved_tensors
        grad_states = grad_states.to(states.dtype).contiguous()
        grad_projection, grad_h0 = torch.empty_like(projection), torch.empty_like(h0)
        _, backward = KERNELS[ctx.cell]
        backward(projection.detach().numpy(), sigmoid.numpy(), h0.detach().numpy(), lengths.numpy(),
                 states.detach().numpy(), grad_states.numpy(), grad_projection.numpy(), grad_h0.numpy())
        return None, grad_projection, grad_h0, None


def fused_states(cell: str, projection: Tensor, h0, lengths: Tensor, hidden: int):
    """(states, last state) as `scanned` returns them; h0 None starts from zeros."""
    if h0 is None:
        h0 = projection.new_zeros(projection.size(0), hidden)
    states = FusedRecurrence.apply(cell, projection, h0, lengths)
    return states, states[:, -1]
