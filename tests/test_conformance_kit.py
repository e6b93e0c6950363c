"""The conformance kit catches broken components, each with a message that says what to fix."""
from typing import Literal

import pytest
import torch
from pydantic import BaseModel, Field
from torch import nn

import zoo_core.extension.registry
from zoo_core import Architecture, Component
from zoo_core.config.sections import StrictConfig
from zoo_core.extension.discovery import PluginInfo
from zoo_core.extension.registry import Registry
from zoo_core.modeling.interfaces import Encoder, EncoderOutput, last_real_state, lengths_to_mask
from zoo_core.testing import ConformanceError, check_conformance, checks_for, parametrize_with_checks


class ProjectionConfig(StrictConfig):
    type: str = "projection"
    hidden_size: int = Field(32, ge=1, le=1024, description="Output size.")


class ProjectionEncoder(Encoder):
    """A correct encoder: a per-token projection, masked; its subclasses below each break one rule."""

    def __init__(self, config, input_dim):
        super().__init__(config, input_dim)
        self.project = nn.Linear(input_dim, config.hidden_size)
        self.out_dim = config.hidden_size

    def forward(self, inputs, lengths, state=None):
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)
        states = torch.tanh(self.project(inputs)) * mask
        return EncoderOutput(states, last_real_state(states, lengths))


class LeakyEncoder(ProjectionEncoder):
    """Summarises by a mean over every position, padding included."""

    def forward(self, inputs, lengths, state=None):
        output = super().forward(inputs, lengths)
        return EncoderOutput(output.states, torch.tanh(self.project(inputs)).mean(dim=1))


class UnusedWeightEncoder(ProjectionEncoder):
    def __init__(self, config, input_dim):
        super().__init__(config, input_dim)
        self.forgotten = nn.Linear(input_dim, config.hidden_size)


class WrongOutDimEncoder(ProjectionEncoder):
    def __init__(self, config, input_dim):
        super().__init__(config, input_dim)
        self.out_dim = config.hidden_size + 1


class LooseConfig(BaseModel):  # not a StrictConfig: unknown keys slip through
    type: str = "loose"
    hidden_size: int = 8


ENCODERS = {"projection": ProjectionEncoder, "leaky": LeakyEncoder, "unused": UnusedWeightEncoder,
            "wrong-dim": WrongOutDimEncoder}


@pytest.fixture
def registry(monkeypatch):
    """The installed plugins plus this file's encoders and an architecture over each."""
    registry = Registry.from_plugins()
    info = registry.plugins["kit-test"] = PluginInfo("kit-test", "zoo-kit-test", "0.1.0", __name__)
    for name, cls in ENCODERS.items():
        config = type(f"{cls.__name__}Config", (ProjectionConfig,),
                      {"__annotations__": {"type": Literal[name]}, "type": name})
        registry._add_component(Component("encoder", name, config, f"{__name__}:{cls.__name__}"), info)
        registry._add_architecture(Architecture(f"{name}-classifier", "classify", "test",
                                                {"encoder": {"type": name}, "head": {"type": "classify"}}), info)
    registry._add_component(Component("encoder", "loose", LooseConfig, f"{__name__}:ProjectionEncoder"), info)
    monkeypatch.setattr(zoo_core.extension.registry, "_REGISTRY", registry)
    return registry


def test_a_correct_encoder_and_its_architecture_pass(registry):
    check_conformance("encoder:projection")
    check_conformance("projection-classifier")


def test_padding_leak_fails_with_a_message_naming_it(registry):
    with pytest.raises(ConformanceError, match=r"encoder:leaky fails check_padding_invariance: padding changes "
                                               r"a sequence's summary .*lengths_to_mask"):
        check_conformance("encoder:leaky")
    with pytest.raises(ConformanceError, match="leaky-classifier fails check_padding_invariance: token ids "
                                               "placed in the padding change the logits"):
        check_conformance("leaky-classifier")


def test_unused_parameter_fails_the_gradient_check(registry):
    with pytest.raises(ConformanceError, match="parameter 'forgotten.weight' gets no gradient"):
        check_conformance("encoder:unused")
    with pytest.raises(ConformanceError, match="unused-classifier fails check_gradients_reach_every_parameter: "
                                               "parameter 'encoder.forgotten.weight'"):
        check_conformance("unused-classifier")


def test_wrong_out_dim_fails_the_shape_check(registry):
    with pytest.raises(ConformanceError, match=r"check_output_shapes: states have shape \(4, 5, 8\), "
                                               r"expected \(4, 5, 9\)"):
        check_conformance("encoder:wrong-dim")


def test_loose_config_fails_the_config_check(registry):
    with pytest.raises(ConformanceError, match="accepts an unknown setting.*StrictConfig"):
        check_conformance("encoder:loose")


def test_settings_are_applied_and_shown_in_the_id(registry):
    from zoo_core.testing.common import component_config, parse_target

    target = parse_target(("encoder:projection", {"hidden_size": 3}))
    assert str(target) == "encoder:projection[hidden_size=3]"
    assert component_config(target).hidden_size == 3
    assert component_config(parse_target("encoder:projection")).hidden_size == 8  # shrunk from 32


def test_parametrize_with_checks_makes_one_test_per_check():
    marker = parametrize_with_checks(["lstm-classifier", "encoder:gru"]).mark
    ids = [param.id for param in marker.args[1]]
    assert "lstm-classifier-check_padding_invariance" in ids
    assert "encoder:gru-check_gradients_reach_every_parameter" in ids
    assert len(ids) == len(checks_for("lstm-classifier")) + len(checks_for("encoder:gru"))


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        checks_for("decoder:lstm")
