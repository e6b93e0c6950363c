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

NUMBA = importlib.util.find_spec("numba") is not None
DTYPES = (torch.float32, torch.float64)

CELLS = {"mingru": 0, "minlstm": 1, "qrnn": 2}

if NUMBA:
    from numba import njit

    @njit(inline="always")
    def _keep(cell, active, b, t, j, hidden):  # pragma: no cover - compiled
        """a_t: 1 - z (minGRU), f / (f + i) (minLSTM), f (QRNN)."""
        if cell == 0:
            return 1.0 - active[b, t, j]
        if cell == 1:
            return active[b, t, j] / (active[b, t, j] + active[b, t, hidden + j])
        return active[b, t, hidden + j]

    @njit(inline="always")
    def _candidate(cell, projection, active, b, t, j, hidden):  # pragma: no cover - compiled
        """The value written: minGRU's and minLSTM's g(c) = c + 1/2 or sigmoid(c); QRNN's tanh(z)."""
        if cell == 2:
            return active[b, t, j]
        c = projection[b, t, (cell + 1) * hidden + j]
        return c + 0.5 if c >= 0 else active[b, t, (cell + 1) * hidden + j]

    @njit(cache=True)
    def _forward(cell, projection, active, h0, lengths, states):  # pragma: no cover - compiled
        batch, time, hidden = states.shape
        for b in range(batch):
            h, length = h0[b].copy(), min(lengths[b], time)
            for t in range(length):
                for j in range(hidden):
                    keep = _keep(cell, active, b, t, j, hidden)
                    candidate = _candidate(cell, projection, active, b, t, j, hidden)
                    if cell == 1:  # minLSTM: f' h + i' g(c), i' = i / (f + i) = 1 - f'
                        h[j] = keep * h[j] + (1.0 - keep) * candidate
                    else:  # minGRU (1 - z) h + z g(c); QRNN f c + (1 - f) tanh(z)
                        h[j] = candidate + keep * (h[j] - candidate)
                states[b, t] = h
            for t in range(length, time):  # padded: identity steps
                states[b, t] = h

    @njit(cache=True)
    def _backward(cell, projection, active, h0, lengths, states, grad_states, grad_projection, grad_h0):  # pragma: no cover
        batch, time, hidden = states.shape
        for b in range(batch):
            length = min(lengths[b], time)
            delta = grad_states[b, time - 1].copy()  # dL/dh_t, carried back through a_{t+1} (1 when padded)
            for t in range(time - 1, -1, -1):
                if t < time - 1:
                    for j in range(hidden):
                        keep = _keep(cell, active, b, t + 1, j, hidden) if t + 1 < length else 1.0
                        delta[j] = grad_states[b, t, j] + keep * delta[j]
                if t >= length:
                    grad_projection[b, t] = 0.0
                    continue
                for j in range(hidden):
                    previous = states[b, t - 1, j] if t else h0[b, j]
                    candidate = _candidate(cell, projection, active, b, t, j, hidden)
                    if cell == 2:  # QRNN: dh/df = h' - tanh(z), dh/dtanh(z) = 1 - f
                        f = active[b, t, hidden + j]
                        grad_projection[b, t, j] = delta[j] * (1.0 - f) * (1.0 - candidate * candidate)
                        grad_projection[b, t, hidden + j] = delta[j] * (previous - candidate) * f * (1.0 - f)
                        continue
                    c, sc = projection[b, t, (cell + 1) * hidden + j], active[b, t, (cell + 1) * hidden + j]
                    slope = 1.0 if c >= 0 else sc * (1.0 - sc)  # g'(c)
                    if cell == 0:  # minGRU: dh/dz = g(c) - h', dh/dg(c) = z
                        z = active[b, t, j]
                        grad_projection[b, t, j] = delta[j] * (candidate - previous) * z * (1.0 - z)
                        grad_projection[b, t, hidden + j] = delta[j] * z * slope
                    else:  # minLSTM: dh/df = i (h' - g) / s^2, dh/di = f (g - h') / s^2, dh/dg = i / s; s = f + i
                        f, i = active[b, t, j], active[b, t, hidden + j]
                        total = f + i
                        shared = delta[j] * (previous - candidate) / (total * total)
                        grad_projection[b, t, j] = shared * i * f * (1.0 - f)
                        grad_projection[b, t, hidden + j] = -shared * f * i * (1.0 - i)
                        grad_projection[b, t, 2 * hidden + j] = delta[j] * i / total * slope
            for j in range(hidden):
                grad_h0[b, j] = delta[j] * (_keep(cell, active, b, 0, j, hidden) if length else 1.0)


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
        batch, time, width = projection.shape
        states = projection.new_empty(batch, time, h0.size(1))
        _forward(CELLS[cell], projection.detach().numpy(), active.numpy(), h0.detach().numpy(), lengths.numpy(), states.numpy())
        ctx.cell = cell
        ctx.save_for_backward(projection, active, h0, lengths, states)
        return states

    @staticmethod
    def backward(ctx, grad_states: Tensor):
        projection, active, h0, lengths, states = ctx.saved_tensors
        grad_states = grad_states.to(states.dtype).contiguous()
        grad_projection, grad_h0 = torch.empty_like(projection), torch.empty_like(h0)
        _backward(CELLS[ctx.cell], projection.detach().numpy(), active.numpy(), h0.detach().numpy(), lengths.numpy(),
                 states.detach().numpy(), grad_states.numpy(), grad_projection.numpy(), grad_h0.numpy())
        return None, grad_projection, grad_h0, None


def fused_states(cell: str, projection: Tensor, h0, lengths: Tensor, hidden: int):
    """(states, last state) as `scanned` returns them; h0 None starts from zeros."""
    if h0 is None:
        h0 = projection.new_zeros(projection.size(0), hidden)
    states = FusedRecurrence.apply(cell, projection, h0, lengths)
    return states, states[:, -1]
