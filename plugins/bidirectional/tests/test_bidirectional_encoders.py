"""Bidirectional encoders: padding invariance, nn.LSTM equivalence, and the generic wrapper."""

import pytest
import torch
from pydantic import Field

from zoo_core.plugin import Component, ConfigError, Encoder, EncoderOutput, StrictConfig, last_real_state
from zoo_core.testing import registry as get_registry


def build(spec: dict, input_dim: int = 5):
    registry = get_registry()
    config = registry.validate_component("encoder", spec, "encoder")
    return registry.component("encoder", config.type).load()(config, input_dim=input_dim).eval()


def assert_padding_invariant(encoder, input_dim: int = 5):
    short = torch.randn(1, 3, input_dim)
    padded = torch.cat([short, torch.full((1, 4, input_dim), 50.0)], dim=1)  # loud padding
    batch = torch.cat([padded, torch.randn(1, 7, input_dim)])
    alone = encoder(short, torch.tensor([3]))
    together = encoder(batch, torch.tensor([3, 7]))
    assert torch.allclose(alone.states[0], together.states[0, :3], atol=1e-5)
    assert torch.allclose(alone.summary[0], together.summary[0], atol=1e-5)
    assert torch.all(together.states[0, 3:] == 0)


SPECS = [
    {"type": kind, "hidden_size": 8, "bidirectional": True, "num_layers": layers}
    for kind in ("rnn", "lstm", "gru") for layers in (1, 2)
] + [{"type": "bidirectional", "inner": {"type": kind, "hidden_size": 8, "num_layers": 2}} for kind in ("lstm", "gru")]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s['type']}-{s.get('num_layers', s.get('inner', {}).get('type'))}")
def test_sequence_alone_equals_sequence_in_a_batch_with_longer_ones(spec):
    torch.manual_seed(0)
    encoder = build(spec)
    assert encoder.out_dim == 16
    assert_padding_invariant(encoder)


def test_multilayer_bidirectional_matches_nn_lstm():
    """Layer 2 reads both directions of layer 1, exactly as nn.LSTM(bidirectional=True) does."""
    torch.manual_seed(0)
    encoder = build({"type": "lstm", "hidden_size": 6, "num_layers": 2, "bidirectional": True})
    reference = torch.nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)
    parts = {"": encoder.forward_rnn, "_reverse": encoder.backward_rnn}
    upper = {"": encoder.upper_forward[0], "_reverse": encoder.upper_backward[0]}
    with torch.no_grad():
        for suffix, module in parts.items():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(reference, f"{name}_l0{suffix}").copy_(getattr(module, f"{name}_l0"))
                getattr(reference, f"{name}_l1{suffix}").copy_(getattr(upper[suffix], f"{name}_l0"))
    inputs = torch.randn(3, 4, 5)
    expected, _ = reference(inputs)
    output = encoder(inputs, torch.tensor([4, 4, 4]))
    assert torch.allclose(output.states, expected, atol=1e-5)
    assert torch.allclose(output.summary, torch.cat([expected[:, -1, :6], expected[:, 0, 6:]], dim=-1), atol=1e-5)


def test_wrapper_equals_builtin_bidirectional_with_the_same_weights():
    torch.manual_seed(0)
    wrapped = build({"type": "bidirectional", "inner": {"type": "gru", "hidden_size": 8}})
    builtin = build({"type": "gru", "hidden_size": 8, "bidirectional": True})
    builtin.forward_rnn.load_state_dict(wrapped.forward_encoder.forward_rnn.state_dict())
    builtin.backward_rnn.load_state_dict(wrapped.backward_encoder.forward_rnn.state_dict())
    inputs, lengths = torch.randn(3, 5, 5), torch.tensor([5, 2, 4])
    ours, theirs = wrapped(inputs, lengths), builtin(inputs, lengths)
    assert torch.allclose(ours.states, theirs.states, atol=1e-6)
    assert torch.allclose(ours.summary, theirs.summary, atol=1e-6)


class RunningSumConfig(StrictConfig):
    type: str = "running-sum"
    scale: float = Field(1.0)


class RunningSumEncoder(Encoder):
    """A third party's unidirectional encoder: the running sum of the inputs."""

    bidirectional = False
    carries_state = False

    def __init__(self, config, input_dim):
        super().__init__(config, input_dim)
        self.out_dim = input_dim

    def forward(self, inputs, lengths, state=None):
        states = inputs.cumsum(1) * self.config.scale
        return EncoderOutput(states=states, summary=last_real_state(states, lengths))


def test_wrapper_makes_a_third_party_encoder_bidirectional(monkeypatch):
    registry = get_registry()
    component = Component("encoder", "running-sum", RunningSumConfig, f"{__name__}:RunningSumEncoder", plugin="thirdparty")
    monkeypatch.setitem(registry.components, ("encoder", "running-sum"), component)
    encoder = build({"type": "bidirectional", "inner": "running-sum"}, input_dim=1)
    inputs = torch.tensor([[1.0, 2.0, 3.0, 0.0], [1.0, 2.0, 3.0, 4.0]]).unsqueeze(-1)
    output = encoder(inputs, torch.tensor([3, 4]))
    # The backward direction starts at each sequence's own last token: 3 for the first row, not the padding.
    assert output.states[0, :, 1].tolist() == [6.0, 5.0, 3.0, 0.0]
    assert output.states[1, :, 1].tolist() == [10.0, 9.0, 7.0, 4.0]
    assert output.summary.tolist() == [[6.0, 6.0], [10.0, 10.0]]


def test_wrapper_refuses_an_inner_encoder_that_is_already_bidirectional():
    with pytest.raises(ConfigError, match="already bidirectional"):
        build({"type": "bidirectional", "inner": {"type": "lstm", "bidirectional": True}})


@pytest.mark.parametrize("name", ["bilstm-classifier", "bigru-classifier"])
def test_bidirectional_classifiers_read_both_directions_final_states(name):
    import zoo_core as zoo

    model = zoo.create_model(name, vocab=50, num_classes=2, encoder__hidden_size=8).eval()
    tokens, lengths = torch.tensor([[5, 6, 7, 0], [8, 9, 10, 11]]), torch.tensor([3, 4])
    encoded = model.encode(tokens, lengths)
    assert encoded.summary.shape == (2, 16)
    assert torch.allclose(encoded.summary[0, :8], encoded.states[0, 2, :8])  # forward: last real token
    assert torch.allclose(encoded.summary[0, 8:], encoded.states[0, 0, 8:])  # backward: first token
    assert model({"tokens": tokens, "lengths": lengths})[0].shape == (2, 2)
