"""The three paths of the element-wise linear recurrence agree (states and gradients, within 1e-5)."""
import pytest
import torch

from zoo_modern.scan import MODES, choose_mode, linear_recurrence


def problem(time, dtype, seed=0):
    generator = torch.Generator().manual_seed(seed)
    log_a = torch.nn.functional.logsigmoid(torch.randn(3, time, 5, generator=generator) + 2)
    if dtype.is_complex:
        log_a = torch.complex(log_a, torch.randn(3, time, 5, generator=generator))
    b = torch.randn(3, time, 5, dtype=dtype, generator=generator)
    h0 = torch.randn(3, 5, dtype=dtype, generator=generator)
    return log_a, b, h0


def run(mode, log_a, b, h0):
    """States and the gradients of (log a, b, h0); a = exp(log a), and the scan also gets log a itself."""
    inputs = [t.clone().requires_grad_() for t in (log_a, b, h0)]
    states = linear_recurrence(inputs[0].exp(), inputs[1], inputs[2], mode=mode, log_a=inputs[0])
    weights = torch.randn(states.shape, dtype=states.dtype, generator=torch.Generator().manual_seed(9))
    (states * weights).real.sum().backward()
    return states.detach(), [t.grad for t in inputs]


def reference(log_a, b, h0):
    h, states = h0, []
    for t in range(b.size(1)):
        h = log_a[:, t].exp() * h + b[:, t]
        states.append(h)
    return torch.stack(states, dim=1)


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
    log_a[:, 5:], b[:, 5:] = 0.0, 0.0  # what padding becomes: a = 1, b = 0
    for mode in MODES:
        states = linear_recurrence(log_a.exp(), b, None, mode)
        assert (states[:, 5:] - states[:, 4:5]).abs().max() < 1e-6, mode
        assert (states[:, 0] - b[:, 0]).abs().max() < 1e-6, mode  # from zeros


def test_a_broadcast_decay_gets_its_summed_gradient():
    """The LRU hands the loop one decay expanded over batch and time (a view): its gradient is the sum."""
    decay = torch.rand(5, requires_grad=True)
    b = torch.randn(3, 8, 5)
    linear_recurrence(decay.expand(3, 8, 5), b, mode="sequential").sum().backward()
    expanded = decay.detach().clone().expand(3, 8, 5).clone().requires_grad_()
    linear_recurrence(expanded, b, mode="chunked").sum().backward()
    assert (decay.grad - expanded.grad.sum(dim=(0, 1))).abs().max() < 1e-5


def test_auto_picks_by_length_and_device_and_keeps_an_override():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert choose_mode("auto", 4096, cpu) == "sequential"  # measured fastest on CPU at every length
    assert choose_mode("auto", 10, cuda) == "scan" and choose_mode("auto", 1, cuda) == "sequential"
    assert choose_mode("scan", 10, cpu) == "scan"
    with pytest.raises(ValueError, match="one of auto, sequential"):
        linear_recurrence(*problem(3, torch.float32), mode="fast")
