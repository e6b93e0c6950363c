"""The unpadded fast path (every length equal): the same outputs and gradients as the padded path, and taken.

The padded path is reached with the same batch plus one padding column: lengths still equal the real length,
so every real output and gradient must agree with the fast path's.
"""
import pytest
import torch

import zoo_recurrent.encoders as encoders
from zoo_core.testing import registry as get_registry

KINDS = ["rnn", "lstm", "gru"]


def build(kind: str, **settings):
    registry = get_registry()
    config = registry.validate_component("encoder", {"type": kind, "hidden_size": 8, **settings}, "encoder")
    torch.manual_seed(0)
    return registry.component("encoder", kind).load()(config, input_dim=5).train()


def outputs_and_gradients(encoder, inputs, lengths, time):
    encoder.zero_grad()
    inputs = inputs.detach().requires_grad_()
    output = encoder(inputs, lengths)
    loss = output.states[:, :time].square().mean() + output.summary.sin().mean()
    loss.backward()
    return output, [p.grad.clone() for p in encoder.parameters()], inputs.grad[:, :time]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
def test_unpadded_batch_matches_the_padded_path(kind, bidirectional, layers):
    encoder = build(kind, bidirectional=bidirectional, num_layers=layers)
    torch.manual_seed(1)
    inputs, lengths = torch.randn(3, 6, 5), torch.tensor([6, 6, 6])
    padded = torch.cat([inputs, torch.full((3, 1, 5), 50.0)], dim=1)  # loud padding: the general path
    fast, fast_grads, fast_input_grad = outputs_and_gradients(encoder, inputs, lengths, 6)
    slow, slow_grads, slow_input_grad = outputs_and_gradients(encoder, padded, lengths, 6)
    assert torch.allclose(fast.states, slow.states[:, :6], atol=1e-6)
    assert torch.allclose(fast.summary, slow.summary, atol=1e-6)
    for fast_grad, slow_grad in zip(fast_grads, slow_grads):
        assert torch.allclose(fast_grad, slow_grad, atol=1e-6, rtol=1e-5)
    assert torch.allclose(fast_input_grad, slow_input_grad, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_unpadded_batch_needs_no_mask_gather_or_reversal(kind, bidirectional, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the padded path ran for a batch with no padding")

    for helper in ("reverse_padded", "last_real_state", "lengths_to_mask"):
        monkeypatch.setattr(encoders, helper, refuse)
    encoder = build(kind, bidirectional=bidirectional, num_layers=2)
    output = encoder(torch.randn(2, 4, 5), torch.tensor([4, 4]))
    assert output.states.shape == (2, 4, encoder.out_dim)
    with pytest.raises(AssertionError, match="padded path"):  # a padded batch still takes the general path
        encoder(torch.randn(2, 4, 5), torch.tensor([4, 2]))


def test_unpadded_lstm_still_carries_its_state():
    encoder = build("lstm").eval()
    text = torch.randn(1, 6, 5)
    whole = encoder(text, torch.tensor([6]))
    first = encoder(text[:, :3], torch.tensor([3]))
    second = encoder(text[:, 3:], torch.tensor([3]), first.state)
    assert torch.allclose(second.states, whole.states[:, 3:], atol=1e-6)
    assert torch.allclose(second.summary, whole.summary, atol=1e-6)
