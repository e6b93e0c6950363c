"""The element-wise linear recurrence h_t = a_t * h_{t-1} + b_t over a whole sequence, three ways.

Tensors are batch-first, (batch, time, channels), real or complex; a is a decay in (0, 1] (complex
for the LRU), h0 (batch, channels). All three give the same states (tests/test_scan.py: within 1e-5);
they differ in speed, and on CPU the fastest is not the GPU papers' parallel scan (docs/modern.md,
"Which scan"):

- ``sequential``: one fused multiply-add a step, forward and backward (a hand-written backward, so
  autograd records one node for the whole loop and no per-step temporaries).
- ``chunked``: time cut into chunks; inside every chunk at once a doubling (Hillis-Steele) scan of
  log2(chunk) whole-tensor steps, then one multiply-add a chunk to carry the state across.
- ``scan``: the log-space parallel scan (Heinsen 2023, used by minGRU's paper): cumsum of log a and
  logcumsumexp of log b, no loop at all. Its error grows with the length (the exponents do).

Measured on this 2-core CPU (docs/modern.md): sequential is the fastest at every length from 16 to 2048
(the other two allocate several whole-sequence temporaries, and fresh memory is slow here), so auto
takes it on CPU; on an accelerator, where every op is a kernel launch, auto takes the loop-free scan.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

MODES = ("auto", "sequential", "chunked", "scan")
CHUNK = 64  # the chunked path's chunk


def choose_mode(mode: str, time: int, device: torch.device) -> str:
    """The path ``auto`` takes for this length and device; any other mode is kept as given."""
    if mode != "auto":
        return mode
    if device.type == "cpu" or time == 1:
        return "sequential"
    return "scan"  # unmeasured here (no accelerator): the GPU papers' choice, one launch per op


def linear_recurrence(a: Tensor, b: Tensor, h0: Optional[Tensor] = None, mode: str = "auto",
                      log_a: Optional[Tensor] = None) -> Tensor:
    """States h_1..h_T of h_t = a_t * h_{t-1} + b_t from h0 (zeros when None); ``log_a`` (log of a,
    exact where a rounds to 0 or 1) is used by the scan path when given. ``a`` may be broadcast (expand)."""
    if h0 is None:
        h0 = b.new_zeros(b.size(0), b.size(2))
    mode = choose_mode(mode, b.size(1), b.device)
    if mode == "sequential":
        return SequentialRecurrence.apply(a, b, h0)
    if mode == "chunked":
        return chunked_recurrence(a.transpose(0, 1), b.transpose(0, 1), h0).transpose(0, 1)
    if mode == "scan":
        log_a = torch.log(a) if log_a is None else log_a
        return log_space_recurrence(log_a.transpose(0, 1), b.transpose(0, 1), h0).transpose(0, 1)
    raise ValueError(f"mode {mode!r}: one of {', '.join(MODES)}")


class SequentialRecurrence(torch.autograd.Function):
    """The loop, one addcmul a step each way, on (batch, time, channels) slices in place; one autograd node."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, h0: Tensor) -> Tensor:
        states = torch.empty(b.shape, dtype=torch.promote_types(a.dtype, b.dtype), device=b.device)
        h = h0
        for t in range(b.size(1)):
            h = torch.addcmul(b[:, t], a[:, t], h, out=states[:, t])
        ctx.save_for_backward(a, h0, states)
        ctx.a_shape = a.shape
        return states

    @staticmethod
    def backward(ctx, grad_states: Tensor):
        a, h0, states = ctx.saved_tensors
        # delta_t = dL/dh_t = grad_t + conj(a_{t+1}) delta_{t+1}; dL/da_t = delta_t conj(h_{t-1}) (torch's
        # convention for complex numbers; conj does nothing to real ones).
        a_conj = a.conj()
        grad_b, grad_a = torch.empty_like(states), torch.empty_like(states)
        delta = None
        for t in range(states.size(1) - 1, -1, -1):
            if delta is None:
                delta = grad_b[:, t].copy_(grad_states[:, t])
            else:
                delta = torch.addcmul(grad_states[:, t], a_conj[:, t + 1], delta, out=grad_b[:, t])
            previous = states[:, t - 1] if t else h0
            torch.mul(delta, previous.conj(), out=grad_a[:, t])
        # A broadcast a (the LRU's constant decay) gets the full-shape gradient; autograd sums it back.
        return grad_a, grad_b, grad_b[:, 0] * a_conj[:, 0]


def chunked_recurrence(a: Tensor, b: Tensor, h0: Tensor, chunk: int = CHUNK) -> Tensor:
    """Doubling scan inside each chunk (all chunks at once), then the state carried chunk to chunk."""
    time = b.size(0)
    chunk = max(1, min(chunk, time))
    chunks = -(-time // chunk)
    extra = chunks * chunk - time
    if extra:  # identity steps at the end: a = 1, b = 0
        a = torch.cat([a, a.new_ones((extra, *a.shape[1:]))])
        b = torch.cat([b, b.new_zeros((extra, *b.shape[1:]))])
    a = a.reshape(chunks, chunk, *a.shape[1:])
    b = b.reshape(chunks, chunk, *b.shape[1:])
    # After the step with offset d, (a, b)[t] composes the steps t-2d+1..t of its chunk.
    offset = 1
    while offset < chunk:
        b = torch.cat([b[:, :offset], torch.addcmul(b[:, offset:], a[:, offset:], b[:, :-offset])], dim=1)
        a = torch.cat([a[:, :offset], a[:, offset:] * a[:, :-offset]], dim=1)
        offset *= 2
    starts, h = [], h0
    for index in range(chunks):  # one multiply-add per chunk
        starts.append(h)
        h = torch.addcmul(b[index, -1], a[index, -1], h)
    states = torch.addcmul(b, a, torch.stack(starts).unsqueeze(1))
    return states.reshape(chunks * chunk, *b.shape[2:])[:time]


def log_space_recurrence(log_a: Tensor, b: Tensor, h0: Tensor) -> Tensor:
    """h_t = exp(A_t) * (h0 + sum_{s<=t} exp(-A_s) b_s), A = cumsum(log a), summed with logcumsumexp.

    Real b of either sign is split into its positive and negative parts (two scans); complex b takes
    its complex log. h0 enters through exp(A_t) directly, so a zero start needs no log(0).
    """
    cumulative = torch.cumsum(log_a, dim=0)
    if b.is_complex():
        log_b = torch.log(b + (b == 0) * 1e-30)  # exp(log(1e-30)) adds nothing within float precision
        total = torch.exp(cumulative + torch.logcumsumexp(log_b - cumulative, dim=0))
    else:
        tiny = torch.finfo(b.dtype).tiny
        positive = torch.logcumsumexp(torch.log(b.clamp_min(tiny)) - cumulative, dim=0)
        total = torch.exp(cumulative + positive)
        if bool((b < 0).any()):
            negative = torch.logcumsumexp(torch.log((-b).clamp_min(tiny)) - cumulative, dim=0)
            total = total - torch.exp(cumulative + negative)
    return total + torch.exp(cumulative) * h0


def reverse_recurrence(a_next: Tensor, grads: Tensor) -> Tensor:
    """delta_t = grads_t + a_next_t * delta_{t+1} (delta after the last step is zero), one addcmul a step:
    the backward pass of every element-wise recurrence here is one of these."""
    out = torch.empty_like(grads)
    delta = None
    for t in range(grads.size(0) - 1, -1, -1):
        delta = out[t].copy_(grads[t]) if delta is None else torch.addcmul(grads[t], a_next[t], delta, out=out[t])
    return out
