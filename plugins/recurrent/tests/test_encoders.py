"""Recurrent encoders: shapes, and padding never changes a sequence's result."""
import pytest
import torch

from zoo_core.testing import registry as get_registry


def build(kind: str, **settings):
    registry = get_registry()
    config = registry.validate_component("encoder", {"type": kind, "hidden_size": 8, **settings}, "encoder")
    return registry.component("encoder", kind).load()(config, input_dim=5).eval()


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_padding_does_not_change_outputs(kind, layers):
    torch.manual_seed(0)
    encoder = build(kind, num_layers=layers)
    short = torch.randn(1, 3, 5)
    padded = torch.cat([short, torch.full((1, 4, 5), 50.0)], dim=1)  # loud padding
    batch = torch.cat([padded, torch.randn(1, 7, 5)])
    alone = encoder(short, torch.tensor([3]))
    together = encoder(batch, torch.tensor([3, 7]))
    assert torch.allclose(alone.summary[0], together.summary[0], atol=1e-6)
    assert torch.allclose(alone.states[0], together.states[0, :3], atol=1e-6)
    assert torch.all(together.states[0, 3:] == 0)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_shapes_and_out_dim(kind):
    encoder = build(kind)
    output = encoder(torch.randn(4, 6, 5), torch.tensor([6, 2, 3, 1]))
    assert encoder.out_dim == 8
    assert output.states.shape == (4, 6, 8)
    assert output.summary.shape == (4, 8)


def test_summary_is_state_at_own_last_token():
    encoder = build("gru")
    inputs = torch.randn(2, 5, 5)
    output = encoder(inputs, torch.tensor([2, 5]))
    assert torch.allclose(output.summary[0], output.states[0, 1])
    assert torch.allclose(output.summary[1], output.states[1, 4])


def test_state_carried_only_for_unpadded_batches():
    encoder = build("lstm")
    full = encoder(torch.randn(2, 4, 5), torch.tensor([4, 4]))
    assert full.state is not None and full.state[0].shape == (1, 2, 8)
    assert encoder(torch.randn(2, 4, 5), torch.tensor([4, 2])).state is None
