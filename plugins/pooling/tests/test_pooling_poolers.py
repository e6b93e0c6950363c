"""Poolers: padding never changes a sequence's pooled vector; shapes; attention weights."""
import pytest
import torch

from zoo_core.plugin import ConfigError, EncoderOutput, last_real_state, lengths_to_mask
from zoo_core.testing import registry as get_registry

POOLERS = ["last", "mean", "max", "attention", {"type": "attention", "heads": 3}, "concat", "ends"]
DIM = 6


def build(pooling, input_dim=DIM):
    registry = get_registry()
    config = registry.validate_component("pooler", pooling, "head.pooling")
    torch.manual_seed(0)
    return registry.component("pooler", config.type).load()(config, input_dim=input_dim).eval()


def loud_encoder(inputs: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
    """Stands in for an encoder whose padded positions hold large values (some infinite)."""
    mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)
    loud = torch.full_like(inputs, 1e6)
    loud[..., 0] = float("inf")
    states = torch.where(mask, inputs, loud)
    return EncoderOutput(states=states, summary=last_real_state(states, lengths))


@pytest.mark.parametrize("pooling", POOLERS, ids=str)
def test_pooled_vector_is_the_same_alone_and_in_a_padded_batch(pooling):
    pooler = build(pooling)
    torch.manual_seed(1)
    short, longer = torch.randn(1, 3, DIM), torch.randn(1, 7, DIM)
    batch = torch.cat([torch.cat([short, torch.zeros(1, 4, DIM)], dim=1), longer])
    lengths = torch.tensor([3, 7])
    alone = pooler(loud_encoder(short, torch.tensor([3])), torch.ones(1, 3, dtype=torch.bool))
    together = pooler(loud_encoder(batch, lengths), lengths_to_mask(lengths, 7))
    assert torch.isfinite(together).all()
    assert together.shape == (2, pooler.out_dim)
    assert torch.allclose(alone[0], together[0], atol=1e-6)


def test_mean_and_max_read_only_real_tokens():
    states = torch.tensor([[[1.0, -2.0], [3.0, -4.0], [99.0, 99.0]]])
    encoded = EncoderOutput(states=states, summary=states[:, 1])
    mask = torch.tensor([[True, True, False]])
    assert build("mean", 2)(encoded, mask).tolist() == [[2.0, -3.0]]
    assert build("max", 2)(encoded, mask).tolist() == [[3.0, -2.0]]
    assert build("concat", 2)(encoded, mask).tolist() == [[2.0, -3.0, 3.0, -2.0, 3.0, -4.0]]


def test_max_of_all_negative_states_is_not_zero():
    states = -torch.rand(1, 4, 3) - 1
    encoded = EncoderOutput(states=states, summary=states[:, -1])
    pooled = build("max", 3)(encoded, torch.ones(1, 4, dtype=torch.bool))
    assert torch.allclose(pooled, states.max(1).values)


def test_attention_weights_are_a_distribution_over_real_tokens():
    pooler = build({"type": "attention", "heads": 2})
    lengths = torch.tensor([2, 5])
    encoded = loud_encoder(torch.randn(2, 5, DIM), lengths)
    mask = lengths_to_mask(lengths, 5)
    weights = pooler.attention(encoded, mask)
    assert weights.shape == (2, 5)
    assert torch.all(weights[0, 2:] == 0)
    assert torch.allclose(weights.sum(-1), torch.ones(2))
    assert pooler.out_dim == 2 * DIM


def test_attention_output_is_the_weighted_sum_of_states():
    pooler = build("attention")
    states = torch.randn(1, 4, DIM)
    encoded = EncoderOutput(states=states, summary=states[:, -1])
    mask = torch.ones(1, 4, dtype=torch.bool)
    expected = (pooler.attention(encoded, mask).unsqueeze(-1) * states).sum(1)
    assert torch.allclose(pooler(encoded, mask), expected, atol=1e-6)


def test_ends_takes_each_direction_at_both_ends():
    states = torch.arange(24.0).view(1, 3, 8)  # forward = [..., :4], backward = [..., 4:]
    encoded = EncoderOutput(states=states, summary=states[:, -1])
    pooled = build("ends", 8)(encoded, torch.ones(1, 3, dtype=torch.bool))
    assert pooled[0].tolist() == (states[0, 2, :4].tolist() + states[0, 0, 4:].tolist()
                                  + states[0, 0, :4].tolist() + states[0, 2, 4:].tolist())


def test_unknown_pooler_suggests_close_names():
    with pytest.raises(ConfigError, match=r"head\.pooling\.type: unknown pooler 'maxx'; did you mean max"):
        get_registry().resolve("lstm-classifier", {"head": {"pooling": "maxx"}})


def test_pooler_options_are_validated_against_its_own_config():
    with pytest.raises(ConfigError, match=r"head\.pooling\.heads"):
        get_registry().resolve("bilstm-attn-classifier", {"head": {"pooling": {"type": "attention", "heads": 0}}})
    with pytest.raises(ConfigError, match=r"head\.pooling\.heads: unknown setting"):
        get_registry().resolve("bilstm-max-classifier", {"head": {"pooling": {"type": "max", "heads": 2}}})


@pytest.mark.parametrize("pooling", ["mean", "max", "attention", "concat"], ids=str)
def test_unpadded_batch_matches_the_padded_path(pooling):
    pooler = build(pooling)
    torch.manual_seed(2)
    states = torch.randn(3, 5, DIM, requires_grad=True)
    full = torch.tensor([5, 5, 5])
    padded = torch.cat([states, torch.zeros(3, 1, DIM)], dim=1)
    fast = pooler(EncoderOutput(states, last_real_state(states, full)), lengths_to_mask(full, 5))
    slow = pooler(EncoderOutput(padded, last_real_state(padded, full)), lengths_to_mask(full, 6))
    assert torch.allclose(fast, slow, atol=1e-6)
    fast_grad, = torch.autograd.grad(fast.square().sum(), states)
    slow_grad, = torch.autograd.grad(slow.square().sum(), states)
    assert torch.allclose(fast_grad, slow_grad, atol=1e-6)


def test_unpadded_batch_is_not_copied_to_replace_padding():
    from zoo_pooling.poolers import real_states

    states = torch.randn(2, 4, DIM)
    assert real_states(states, torch.ones(2, 4, dtype=torch.bool)) is states  # no where(), no copy
    partly = real_states(states, lengths_to_mask(torch.tensor([4, 2]), 4))
    assert partly is not states and torch.all(partly[1, 2:] == 0)
