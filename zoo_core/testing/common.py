"""What the checks share: targets, the failure type, small sizes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from zoo_core.config.overrides import merge_config
from zoo_core.errors import ConfigError
from zoo_core.extension.records import COMPONENT_KINDS
from zoo_core.extension.registry import get_registry
from zoo_core.workflows import placeholder_vocabs  # noqa: F401 - re-exported for plugin tests

SMALL = 8  # every size and dim field above this is shrunk to it, so the whole kit stays quick
INPUT_DIM = 6  # size of the random "embeddings" fed to components


class ConformanceError(AssertionError):
    """A check failed; the message names the target, the check and what to fix."""


class CheckSkipped(Exception):
    """A check does not apply to a target (a pooler without parameters has no gradients to check); the
    message is the reason. ``parametrize_with_checks`` turns it into ``pytest.skip``, ``check_conformance``
    reports it as skipped."""


# The fix for an out_dim that does not match, at the encoder level and the architecture level alike.
OUT_DIM_FIX = ("set self.out_dim in the encoder's __init__ to the size it returns "
               "(states (batch, time, out_dim), summary (batch, out_dim))")


@dataclass(frozen=True)
class Target:
    """What a check runs on: an architecture, or a component of ``kind``, with config settings."""

    kind: str
    name: str
    settings: dict = field(default_factory=dict, hash=False, compare=False)

    def __str__(self) -> str:
        label = self.label
        if self.settings:
            label += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(self.settings.items())) + "]"
        return label

    @property
    def label(self) -> str:
        """The target without its settings: what ``expected_failures`` may name for every variant."""
        return self.name if self.kind == "architecture" else f"{self.kind}:{self.name}"

    def fail(self, check: str, problem: str, fix: str) -> ConformanceError:
        return ConformanceError(f"{self} fails {check}: {problem}; {fix}")

    def skip(self, reason: str) -> CheckSkipped:
        return CheckSkipped(reason)


def parse_target(value: Any) -> Target:
    """``"lstm-classifier"``, ``"encoder:lstm"``, ``("encoder:lstm", {settings})`` or a Target."""
    if isinstance(value, Target):
        return value
    settings: dict = {}
    if isinstance(value, tuple):
        value, settings = value
    kind, sep, name = str(value).partition(":")
    if not sep:
        return Target("architecture", kind, dict(settings))
    if kind not in COMPONENT_KINDS:
        raise ValueError(f"{value!r}: kind must be one of {', '.join(COMPONENT_KINDS)} (or give an architecture name)")
    return Target(kind, name, dict(settings))


def registry():
    """The registry plugin discovery built (what is installed and registered)."""
    return get_registry()


def shrink(config_class: type[BaseModel], given: dict) -> dict:
    """Settings that make a component small: each int field named *size or *dim above SMALL."""
    small = {}
    for name, info in config_class.model_fields.items():
        default = info.default
        if name in given or isinstance(default, bool) or not isinstance(default, int):
            continue
        if (name.endswith("size") or name.endswith("dim")) and default > SMALL:
            small[name] = SMALL
    return small


def component_config(target: Target) -> BaseModel:
    """The validated, shrunk config of a component target."""
    reg = registry()
    component = reg.component(target.kind, target.name)
    raw = {"type": target.name, **target.settings}
    try:
        return reg.validate_component(target.kind, {**raw, **shrink(component.config, raw)}, target.kind)
    except ConfigError:  # a bound forbids our small size: use the defaults
        return reg.validate_component(target.kind, raw, target.kind)


def architecture_config(target: Target):
    """The validated, shrunk config of an architecture target."""
    reg = registry()
    base = reg.resolve(target.name, target.settings)
    small: dict = {"embedding": {"dim": SMALL}}
    for section in ("encoder", "head"):
        value = getattr(base, section)
        small[section] = shrink(type(value), (target.settings.get(section) or {}))
    try:
        return reg.resolve(target.name, merge_config(small, target.settings))
    except ConfigError:
        return base
