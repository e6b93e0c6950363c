"""The three paths of the element-wise linear recurrence agree (states and gradients, within 1e-5)."""
import pytest
import torch

from zoo_modern.scan import MODES, SEQUENTIAL_UP_TO, choose_mode, linear_recurrence


def problem(time, dtype, seed=0):
    generator = torch.Generator().manual_seed(seed)
    log_a = torch.nn.functional.logsigmoid(torch.randn(time, 3, 5, generator=generator) + 2)
    if dtype.is_complex:
        log_a = torch.complex(log_a, torch.randn(time, 3, 5, generator=generator))
    b = torch.randn(time, 3, 5, dtype=dtype, generator=generator)
    h0 = torch.randn(3, 5, dtype=dtype, generator=generator)
    return log_a, b, h0


def run(mode, log_a, b, h0):
    inputs = [t.clone().requires_grad_() for t in (log_a, b, h0)]
    states = linear_recurrence(*inputs, mode=mode)
    weights = torch.randn(states.shape, dtype=states.dtype, generator=torch.Generator().manual_seed(9))
    (states * weights).real.sum().backward()
    return states.detach(), [t.grad for t in inputs]


def reference(log_a, b, h0):
    h, states = h0, []
    for t in range(b.size(0)):
        h = log_a[t].exp() * h + b[t]
        states.append(h)
    return torch.stack(states)


@pytest.mark.parametrize("dtype", [torch.float32, torch.complex64])
@pytest.mark.parametrize("time", [1, 7, 64, 150])  # one step, shorter than a chunk, exactly one, several and a rest
def test_every_path_gives_the_plain_loop_and_its_gradients(dtype, time):
    log_a, b, h0 = problem(time, dtype)
    expected = reference(log_a, b, h0)
    states, grads = run("sequential", log_a, b, h0)
    assert (states - expected).abs().max() < 1e-5
    for mode in ("chunked", "scan"):
        other_states, other_grads = run(mode, log_a, b, h0)
        # Within 1e-5, relative to the states' size: the log-space scan's error grows with the exponents.
        assert torch.allclose(other_states, expected, rtol=1e-5, atol=1e-5), mode
        for grad, other in zip(grads, other_grads):
            assert (grad - other).abs().max() < 1e-4 * max(1.0, grad.abs().max().item()), mode


def test_zero_start_and_identity_steps_keep_the_state():
    log_a, b, h0 = problem(10, torch.float32)
    log_a[5:], b[5:] = 0.0, 0.0  # what padding becomes: a = 1, b = 0
    for mode in MODES:
        states = linear_recurrence(log_a, b, None, mode)
        assert torch.equal(states[5:], states[4:5].expand(5, -1, -1)) or (states[5:] - states[4]).abs().max() < 1e-6


def test_auto_picks_by_length_and_device_and_keeps_an_override():
    cpu = torch.device("cpu")
    assert choose_mode("auto", SEQUENTIAL_UP_TO, cpu) == "sequential"
    assert choose_mode("auto", SEQUENTIAL_UP_TO + 1, cpu) == "chunked"
    assert choose_mode("auto", 10, torch.device("cuda")) == "scan"
    assert choose_mode("scan", 10, cpu) == "scan"
    with pytest.raises(ValueError, match="one of auto, sequential"):
        linear_recurrence(*problem(3, torch.float32), mode="fast")
