"""The element-wise linear recurrence h_t = a_t * h_{t-1} + b_t over a whole sequence, three ways.

Every tensor is time-major, (time, batch, channels), real or complex; ``log_a`` is log(a_t) (a decay
in (0, 1], or a complex one for the LRU), ``h0`` (batch, channels). All three give the same states
(tests/test_scan.py: within 1e-5); they differ in speed, and on CPU the fastest is not the GPU
papers' parallel scan (docs/modern.md, "Which scan"):

- ``sequential``: one fused multiply-add per step, forward and backward (a hand-written backward,
  so autograd records one node for the whole loop, not one per step).
- ``chunked``: time cut into chunks; inside every chunk at once a doubling (Hillis-Steele) scan of
  log2(chunk) whole-tensor steps, then one multiply-add per chunk to carry the state across.
- ``scan``: the log-space parallel scan (Heinsen 2023, used by minGRU's paper): cumsum of log a and
  logcumsumexp of log b, no loop at all. Loses precision on long sequences (the exponents grow
  with the length); fine on a GPU, slow on CPU (logcumsumexp costs about 70 ns an element here).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

MODES = ("auto", "sequential", "chunked", "scan")
CHUNK = 64  # the chunked path's chunk (docs/modern.md: 32-128 measured alike on CPU)
# auto on CPU: the sequential loop up to this length, the chunked scan above (docs/modern.md).
SEQUENTIAL_UP_TO = 256


def choose_mode(mode: str, time: int, device: torch.device) -> str:
    """The path ``auto`` takes for this length and device; any other mode is kept as given."""
    if mode != "auto":
        return mode
    if device.type != "cpu":
        return "scan"  # one kernel launch per op: the loop-free scan wins on accelerators
    return "sequential" if time <= SEQUENTIAL_UP_TO else "chunked"


def linear_recurrence(log_a: Tensor, b: Tensor, h0: Optional[Tensor] = None, mode: str = "auto") -> Tensor:
    """States h_1..h_T of h_t = exp(log_a_t) * h_{t-1} + b_t, from h0 (zeros when None)."""
    if h0 is None:
        h0 = b.new_zeros(b.shape[1:])
    mode = choose_mode(mode, b.size(0), b.device)
    if mode == "sequential":
        return SequentialRecurrence.apply(log_a.exp(), b, h0)
    if mode == "chunked":
        return chunked_recurrence(log_a.exp(), b, h0)
    if mode == "scan":
        return log_space_recurrence(log_a, b, h0)
    raise ValueError(f"mode {mode!r}: one of {', '.join(MODES)}")


class SequentialRecurrence(torch.autograd.Function):
    """The loop, one addcmul a step each way; autograd sees a single node."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, h0: Tensor) -> Tensor:
        a, b = a.contiguous(), b.contiguous()
        states = torch.empty_like(b)
        h = h0
        for t in range(b.size(0)):
            h = torch.addcmul(b[t], a[t], h, out=states[t])
        ctx.save_for_backward(a, h0, states)
        return states

    @staticmethod
    def backward(ctx, grad_states: Tensor):
        a, h0, states = ctx.saved_tensors
        grad_states = grad_states.contiguous()
        # delta_t = dL/dh_t = grad_t + conj(a_{t+1}) * delta_{t+1} (conj: torch's convention for complex)
        a_conj = a.conj() if a.is_complex() else a
        grad_b = torch.empty_like(grad_states)
        delta = torch.zeros_like(h0)
        for t in range(grad_states.size(0) - 1, -1, -1):
            if t + 1 < grad_states.size(0):
                delta = torch.addcmul(grad_states[t], a_conj[t + 1], delta, out=grad_b[t])
            else:
                delta = grad_b[t].copy_(grad_states[t])
        previous = torch.cat([h0.unsqueeze(0), states[:-1]])
        grad_a = grad_b * (previous.conj() if previous.is_complex() else previous)
        grad_h0 = grad_b[0] * a_conj[0]
        return grad_a, grad_b, grad_h0


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
