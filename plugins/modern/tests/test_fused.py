"""The compiled loop (zoo_modern.fused, numba) gives minGRU's, minLSTM's and QRNN's states and gradients as the torch
loop does; auto takes it on CPU when numba is there and keeps the torch loop when it is not."""
import pytest
import torch

from zoo_core.plugin import ConfigError
from zoo_core.testing import registry
from zoo_modern import fused

numba_only = pytest.mark.skipif(not fused.NUMBA, reason="numba is not installed (pip install 'zoo-modern[fast]')")
CELLS = ["mingru", "minlstm", "qrnn"]


def build(name, mode, dtype=torch.float32, **settings):
    config = registry().validate_component("encoder", {"type": name, "hidden_size": 6, "num_layers": 2,
                                                       "mode": mode, **settings}, "encoder")
    torch.manual_seed(0)
    return registry().component("encoder", name).load()(config, input_dim=5).to(dtype)


def leaves(state):
    """The tensors of a carried state (QRNN's layer state is a pair: the cell and the last inputs)."""
    for part in state:
        yield from (leaves(part) if isinstance(part, tuple) else [part])


def with_grad(state):
    return tuple(with_grad(part) if isinstance(part, tuple) else part.detach().clone().requires_grad_()
                 for part in state)


def run(encoder, inputs, lengths, state):
    """Outputs, carried state and every gradient of a loss on both."""
    inputs, state = inputs.clone().requires_grad_(), with_grad(state)
    output = encoder(inputs, lengths, state)
    weights = torch.linspace(-1, 1, output.states.numel(), dtype=inputs.dtype).view_as(output.states)
    loss = (output.states * weights).sum() + sum((s * s).sum() for s in leaves(output.state))
    loss.backward()
    grads = [inputs.grad, *(s.grad for s in leaves(state)), *(p.grad for p in encoder.parameters())]
    return output, grads


@numba_only
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", CELLS)
def test_fused_equals_the_torch_loop_in_states_and_gradients(name, dtype):
    torch.manual_seed(1)
    inputs = torch.randn(3, 40, 5, dtype=dtype) * 2  # both signs of the candidate, gates near 0 and 1
    lengths = torch.tensor([40, 17, 1])  # padded sequences: their steps past the end must be identity steps
    torch_loop = build(name, "sequential", dtype)
    with torch.no_grad():  # a state carried from an earlier chunk, as a language model has it
        state = torch_loop(torch.randn(3, 4, 5, dtype=dtype), torch.full((3,), 4)).state
    reference, reference_grads = run(torch_loop, inputs, lengths, state)
    mine, my_grads = run(build(name, "fused", dtype), inputs, lengths, state)
    tolerance = 1e-5 if dtype == torch.float32 else 1e-10
    assert torch.allclose(mine.states, reference.states, atol=tolerance)
    for carried, expected in zip(leaves(mine.state), leaves(reference.state)):
        assert torch.allclose(carried, expected, atol=tolerance)
    for index, (grad, expected) in enumerate(zip(my_grads, reference_grads)):
        assert torch.allclose(grad, expected, atol=tolerance * 10), f"gradient {index}"


@numba_only
@pytest.mark.parametrize("name", CELLS)
def test_auto_takes_the_compiled_loop_on_cpu(name, monkeypatch):
    calls = []
    original = fused.FusedRecurrence.apply
    monkeypatch.setattr(fused.FusedRecurrence, "apply", lambda *args: calls.append(args[0]) or original(*args))
    encoder = build(name, "auto")
    encoder(torch.randn(2, 7, 5), torch.tensor([7, 3]))
    assert calls == [name, name]  # one call per layer


@pytest.mark.parametrize("name", CELLS)
def test_without_numba_auto_keeps_the_torch_loop_with_the_same_states(name, monkeypatch):
    inputs, lengths = torch.randn(2, 9, 5), torch.tensor([9, 4])
    expected = build(name, "sequential")(inputs, lengths).states
    monkeypatch.setattr(fused, "NUMBA", False)
    monkeypatch.setattr(fused.FusedRecurrence, "apply", lambda *args: pytest.fail("the compiled loop ran"))
    assert torch.allclose(build(name, "auto")(inputs, lengths).states, expected, atol=1e-6)


@numba_only
def test_fused_on_a_tensor_it_cannot_run_is_a_config_error():
    encoder = build("mingru", "fused", torch.bfloat16)
    with pytest.raises(ConfigError, match="set encoder.mode=auto"):
        encoder(torch.randn(2, 3, 5, dtype=torch.bfloat16), torch.tensor([3, 3]))


def test_fused_without_numba_is_a_config_error(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "numba" else real(name, *a))
    with pytest.raises(ConfigError, match="zoo-modern\\[fast\\]"):
        registry().validate_component("encoder", {"type": "mingru", "mode": "fused"}, "encoder")
