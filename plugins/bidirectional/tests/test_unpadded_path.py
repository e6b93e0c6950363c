"""Batches with no padding: the wrapper flips instead of gathering and the CRF skips its per-step select, with
the same results as the padded path (the same batch plus one padding column)."""
import pytest
import torch

import zoo_bidirectional.wrapper as wrapper
from zoo_bidirectional.crf import CRF
from zoo_core.testing import registry as get_registry


def wrapped(inner: str = "gru"):
    registry = get_registry()
    config = registry.validate_component("encoder", {"type": "bidirectional", "inner": {"type": inner, "hidden_size": 8}},
                                         "encoder")
    torch.manual_seed(0)
    return registry.component("encoder", "bidirectional").load()(config, input_dim=5).train()


def run(encoder, inputs, lengths, time):
    encoder.zero_grad()
    output = encoder(inputs, lengths)
    (output.states[:, :time].square().mean() + output.summary.sin().mean()).backward()
    return output, [p.grad.clone() for p in encoder.parameters()]


@pytest.mark.parametrize("inner", ["gru", "lstm"])
def test_wrapper_unpadded_batch_matches_the_padded_path(inner):
    encoder = wrapped(inner)
    inputs, lengths = torch.randn(3, 6, 5), torch.tensor([6, 6, 6])
    fast, fast_grads = run(encoder, inputs, lengths, 6)
    slow, slow_grads = run(encoder, torch.cat([inputs, torch.full((3, 1, 5), 50.0)], dim=1), lengths, 6)
    assert torch.allclose(fast.states, slow.states[:, :6], atol=1e-6)
    assert torch.allclose(fast.summary, slow.summary, atol=1e-6)
    for a, b in zip(fast_grads, slow_grads):
        assert torch.allclose(a, b, atol=1e-6, rtol=1e-5)


def test_wrapper_unpadded_batch_does_not_reverse_by_gather(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("reverse_padded ran for a batch with no padding")

    monkeypatch.setattr(wrapper, "reverse_padded", refuse)
    encoder = wrapped()
    assert encoder(torch.randn(2, 4, 5), torch.tensor([4, 4])).states.shape == (2, 4, 16)
    with pytest.raises(AssertionError):
        encoder(torch.randn(2, 4, 5), torch.tensor([4, 3]))


def random_crf(tags: int = 4) -> CRF:
    torch.manual_seed(0)
    crf = CRF(tags)
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.normal_()
    return crf


def test_crf_unpadded_batch_matches_the_padded_path():
    crf = random_crf()
    emissions = torch.randn(3, 5, 4)
    tags = torch.randint(0, 4, (3, 5))
    full = torch.ones(3, 5, dtype=torch.bool)
    padded_emissions = torch.cat([emissions, torch.full((3, 1, 4), 30.0)], dim=1)
    padded_tags = torch.cat([tags, torch.full((3, 1), -100)], dim=1)
    padded_mask = torch.cat([full, torch.zeros(3, 1, dtype=torch.bool)], dim=1)
    fast = crf.nll(emissions, tags, full)
    fast_grads = torch.autograd.grad(fast, list(crf.parameters()))
    slow = crf.nll(padded_emissions, padded_tags, padded_mask)
    slow_grads = torch.autograd.grad(slow, list(crf.parameters()))
    assert torch.allclose(fast, slow, atol=1e-5)
    for a, b in zip(fast_grads, slow_grads):
        assert torch.allclose(a, b, atol=1e-6, rtol=1e-5)


def test_crf_unpadded_forward_algorithm_skips_the_select(monkeypatch):
    crf, emissions = random_crf(), torch.randn(2, 4, 4)
    expected = crf.log_partition(emissions, torch.ones(2, 4, dtype=torch.bool))

    def refuse(*args, **kwargs):
        raise AssertionError("torch.where ran in the forward algorithm of an unpadded batch")

    monkeypatch.setattr(torch, "where", refuse)
    assert torch.equal(crf.log_partition(emissions, torch.ones(2, 4, dtype=torch.bool)), expected)
    with pytest.raises(AssertionError):
        crf.log_partition(emissions, torch.tensor([[True] * 4, [True, True, False, False]]))
