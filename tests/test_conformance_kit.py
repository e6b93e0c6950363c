"""The conformance kit catches broken components, each with a message that says what to fix."""
import re
from typing import Literal

import pytest
import torch
from pydantic import BaseModel, Field
from torch import nn

import zoo_core
import zoo_core.extension.registry
from zoo_core import Architecture, Component
from zoo_core.config.sections import StrictConfig
from zoo_core.errors import ConfigError
from zoo_core.extension.discovery import PluginInfo
from zoo_core.extension.registry import Registry
from zoo_core.modeling.interfaces import Encoder, EncoderOutput, last_real_state, lengths_to_mask
from zoo_core.testing import ConformanceError, check_conformance, checks_for, parametrize_with_checks

pytest_plugins = ["pytester"]  # runs a plugin author's test file, to see its skips and expected failures


class ProjectionConfig(StrictConfig):
    type: str = "projection"
    hidden_size: int = Field(32, ge=1, le=1024, description="Output size.")


class UndescribedConfig(ProjectionConfig):
    scale: float = Field(1.0, ge=0.0, le=10.0)


class UnboundedConfig(ProjectionConfig):
    width: int = Field(4, ge=1, description="A numeric setting with no upper bound.")


class UndeclaredEncoder(Encoder):
    """A per-token projection, masked, that declares neither its direction nor whether it carries state."""

    def __init__(self, config, input_dim):
        super().__init__(config, input_dim)
        self.project = nn.Linear(input_dim, config.hidden_size)
        self.out_dim = config.hidden_size

    def forward(self, inputs, lengths, state=None):
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)
        states = torch.tanh(self.project(inputs)) * mask
        return EncoderOutput(states, last_real_state(states, lengths))


class ProjectionEncoder(UndeclaredEncoder):
    """A correct encoder: the projection, declared; its subclasses below each break one rule."""

    bidirectional = False
    carries_state = False


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


class PeekingEncoder(ProjectionEncoder):
    """Declares one direction but adds the next token's projection to each position's."""

    def forward(self, inputs, lengths, state=None):
        output = super().forward(inputs, lengths)
        ahead = torch.cat([output.states[:, 1:], torch.zeros_like(output.states[:, :1])], dim=1)
        states = output.states + ahead  # zero beyond each sequence already, so padding never shows
        return EncoderOutput(states, last_real_state(states, lengths))


class ClaimsBothWaysEncoder(ProjectionEncoder):
    """Declares bidirectional=True but reads each token alone: a two-direction pooler would misread it."""

    bidirectional = True


class RunningSumEncoder(ProjectionEncoder):
    """A correct state-carrying encoder: the running sum of the projections, continued from ``state``."""

    carries_state = True

    def forward(self, inputs, lengths, state=None):
        mask = lengths_to_mask(lengths, inputs.size(1)).unsqueeze(-1)
        sums = (torch.tanh(self.project(inputs)) * mask).cumsum(1)
        if state is not None:
            sums = sums + state.unsqueeze(1)
        states = sums * mask
        carried = states[:, -1] if bool((lengths == inputs.size(1)).all()) else None
        return EncoderOutput(states, last_real_state(states, lengths), carried)


class ForgetfulEncoder(RunningSumEncoder):
    """Declares carries_state=True and returns no state: a language model would forget at every chunk."""

    def forward(self, inputs, lengths, state=None):
        output = super().forward(inputs, lengths, state)
        return EncoderOutput(output.states, output.summary, None)


class StateIgnoringEncoder(RunningSumEncoder):
    """Declares carries_state=True and returns its state, but always starts again from zeros."""

    def forward(self, inputs, lengths, state=None):
        return super().forward(inputs, lengths, None)


class LooseConfig(BaseModel):  # not a StrictConfig: unknown keys slip through
    type: str = "loose"
    hidden_size: int = 8


ENCODERS = {"projection": ProjectionEncoder, "leaky": LeakyEncoder, "unused": UnusedWeightEncoder,
            "wrong-dim": WrongOutDimEncoder, "undeclared": UndeclaredEncoder, "peeking": PeekingEncoder,
            "claims-both-ways": ClaimsBothWaysEncoder, "running-sum": RunningSumEncoder,
            "forgetful": ForgetfulEncoder, "state-ignoring": StateIgnoringEncoder}
CONFIGS = {"undescribed": UndescribedConfig, "unbounded": UnboundedConfig}  # over ProjectionEncoder


@pytest.fixture
def registry(monkeypatch):
    """The installed plugins plus this file's encoders, a classifier over each, and two language models."""
    registry = Registry.from_plugins()
    info = registry.plugins["kit-test"] = PluginInfo("kit-test", "zoo-kit-test", "0.1.0", __name__)
    for name, (cls, base) in {**{name: (cls, ProjectionConfig) for name, cls in ENCODERS.items()},
                              **{name: (ProjectionEncoder, base) for name, base in CONFIGS.items()}}.items():
        config = type(f"{name.title().replace('-', '')}Config", (base,),
                      {"__annotations__": {"type": Literal[name]}, "type": name})
        registry._add_component(Component("encoder", name, config, f"{__name__}:{cls.__name__}"), info)
        registry._add_architecture(Architecture(f"{name}-classifier", "classify", "test",
                                                {"encoder": {"type": name}, "head": {"type": "classify"}}), info)
    for name in ("projection", "running-sum"):
        registry._add_architecture(Architecture(f"{name}-lm", "lm", "test",
                                                {"encoder": {"type": name}, "head": {"type": "lm"}}), info)
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


def test_wrong_out_dim_fails_the_shape_check_with_the_same_fix_at_both_levels(registry):
    fix = "set self.out_dim in the encoder's __init__ to the size it returns"
    with pytest.raises(ConformanceError, match=r"check_output_shapes: states have shape \(4, 5, 8\), "
                                               r"expected \(4, 5, 9\); " + re.escape(fix)):
        check_conformance("encoder:wrong-dim")
    with pytest.raises(ConformanceError, match=r"wrong-dim-classifier fails check_output_shapes: encoder out_dim "
                                               r"is 9 but it returns states of size 8.*; " + re.escape(fix)):
        check_conformance("wrong-dim-classifier")


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


# --- the encoder contract: declared direction and carried state ----------------------------

def test_a_state_carrying_encoder_passes_as_an_encoder_a_classifier_and_a_language_model(registry):
    results = {result.check: result.outcome for result in check_conformance("encoder:running-sum")}
    assert results["check_state_continues_the_sequence"] == "passed"
    assert results["check_direction_is_as_declared"] == "passed"
    check_conformance("running-sum-classifier")
    check_conformance("running-sum-lm")


def test_an_encoder_declaring_carries_state_but_returning_none_fails(registry):
    with pytest.raises(ConformanceError, match=r"encoder:forgetful fails check_state_continues_the_sequence: it "
                                               r"declares carries_state=True but returns state None.*EncoderOutput.state"):
        check_conformance("encoder:forgetful")


def test_an_encoder_declaring_carries_state_but_ignoring_it_fails(registry):
    with pytest.raises(ConformanceError, match=r"encoder:state-ignoring fails check_state_continues_the_sequence: "
                                               r"encoding in chunks of 2, 1, 3 tokens.*gives other states than "
                                               r"encoding the sequence whole.*`state` argument"):
        check_conformance("encoder:state-ignoring")


def test_an_encoder_declaring_one_direction_but_looking_ahead_fails(registry):
    with pytest.raises(ConformanceError, match=r"encoder:peeking fails check_direction_is_as_declared: it declares "
                                               r"bidirectional=False but its states at positions 0-2 change"):
        check_conformance("encoder:peeking")


def test_an_encoder_declaring_both_directions_but_reading_one_fails(registry):
    with pytest.raises(ConformanceError, match=r"encoder:claims-both-ways fails check_direction_is_as_declared: "
                                               r"it declares bidirectional=True but its states .* do not change"):
        check_conformance("encoder:claims-both-ways")


def test_an_encoder_declaring_nothing_fails_the_kit_and_is_refused_by_the_model(registry):
    with pytest.raises(ConformanceError, match=r"check_direction_is_as_declared: it does not declare bidirectional"
                                               r".*set self.bidirectional to True or False in __init__"):
        check_conformance("encoder:undeclared")
    with pytest.raises(ConfigError) as refused:
        zoo_core.create_model("undeclared-classifier", vocab=20)
    message = str(refused.value)
    assert message.startswith(f"encoder 'undeclared' ({__name__}:UndeclaredEncoder) does not declare bidirectional "
                              "and carries_state; set self.bidirectional, self.carries_state to True or False")
    assert "\n" not in message


def test_ends_pooling_on_a_one_direction_encoder_without_the_setting_suggests_the_wrapper(registry):
    with pytest.raises(ConfigError) as refused:
        zoo_core.create_model("projection-classifier", vocab=20, head={"pooling": "ends"})
    message = str(refused.value)
    assert "head.pooling=ends needs a bidirectional encoder and encoder 'projection' reads one direction" in message
    assert '"type": "bidirectional", "inner": "projection"' in message and "another pooler (e.g. max)" in message
    assert "encoder.bidirectional=true" not in message and "\n" not in message
    # Wrapped as the advice says, the same encoder takes the ends pooler.
    wrapped = zoo_core.create_model("projection-classifier", vocab=20, head={"pooling": "ends"},
                                    encoder={"type": "bidirectional", "inner": "projection"})
    assert wrapped.encoder.bidirectional and not wrapped.encoder.carries_state


def test_a_language_model_refuses_an_encoder_that_carries_no_state(registry):
    with pytest.raises(ConfigError) as refused:
        zoo_core.create_model("projection-lm", vocab=20)
    message = str(refused.value)
    assert "encoder 'projection' does not carry a recurrent state (carries_state=False)" in message
    assert "\n" not in message
    assert zoo_core.create_model("running-sum-lm", vocab=20).encoder.carries_state


# --- the guide's config rules --------------------------------------------------------------

def test_a_setting_without_a_description_fails_naming_it(registry):
    with pytest.raises(ConformanceError, match=r"encoder:undescribed fails check_config_fields_bounded_and_described: "
                                               r"encoder.scale has no description; give it pydantic.Field"):
        check_conformance("encoder:undescribed")
    with pytest.raises(ConformanceError, match=r"undescribed-classifier fails .*encoder.scale has no description"):
        check_conformance("undescribed-classifier")


def test_a_numeric_setting_without_an_upper_bound_fails_naming_it(registry):
    with pytest.raises(ConformanceError, match=r"encoder:unbounded fails check_config_fields_bounded_and_described: "
                                               r"encoder.width has no upper bound; .*\(le= or lt=\)"):
        check_conformance("encoder:unbounded")


# --- checks that do not apply, and expected failures ---------------------------------------

def test_a_check_that_does_not_apply_is_reported_skipped_with_its_reason(registry):
    pooler = {result.check: result for result in check_conformance("pooler:mean")}
    assert pooler["check_gradients_reach_every_parameter"].outcome == "skipped"
    assert pooler["check_gradients_reach_every_parameter"].reason == "it has no trainable parameters"
    assert pooler["check_save_load_round_trip"].outcome == "skipped"
    assert pooler["check_padding_invariance"].outcome == "passed"
    encoder = {result.check: result for result in check_conformance("encoder:projection")}
    assert encoder["check_state_continues_the_sequence"].outcome == "skipped"
    assert "carries_state=False" in encoder["check_state_continues_the_sequence"].reason


def test_an_expected_failure_is_reported_and_a_stale_one_is_an_error(registry):
    results = check_conformance("encoder:leaky", expected_failures={"check_padding_invariance": "mean over padding"})
    leak = next(result for result in results if result.check == "check_padding_invariance")
    assert leak.outcome == "xfailed" and leak.reason.startswith("mean over padding (encoder:leaky fails")
    with pytest.raises(ConformanceError, match="passes check_padding_invariance, marked as an expected failure"):
        check_conformance("encoder:projection", expected_failures={"check_padding_invariance": "stale"})
    with pytest.raises(ValueError, match="'check_no_such_thing', not one of its checks"):
        check_conformance("encoder:projection", expected_failures={"check_no_such_thing": "typo"})
    with pytest.raises(ValueError, match="names 'encoder:absent', which is not among the targets"):
        parametrize_with_checks(["encoder:projection"], expected_failures={"encoder:absent": {}})


def test_under_pytest_skips_show_their_reason_and_expected_failures_are_xfail(registry, pytester):
    pytester.makepyfile('''
        from zoo_core.testing import parametrize_with_checks

        @parametrize_with_checks(["pooler:mean", "encoder:leaky"],
                                 expected_failures={"encoder:leaky": {"check_padding_invariance": "sums the padding"}})
        def test_conformance(target, check):
            check(target)
    ''')
    result = pytester.runpytest_inprocess("-q", "-rsx", "-p", "no:cacheprovider")
    # pooler:mean: 8 checks, 3 skipped (no parameters, no weights, no settings); encoder:leaky: 10 checks,
    # the padding one an expected failure, the state one skipped (it carries none).
    result.assert_outcomes(passed=5 + 8, skipped=3 + 1, xfailed=1)
    result.stdout.fnmatch_lines_random(["*SKIPPED*it has no trainable parameters*", "*SKIPPED*carries_state=False*",
                                        "*XFAIL*check_padding_invariance*sums the padding*"])
