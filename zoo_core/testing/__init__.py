"""The conformance kit: checks that a component or architecture keeps the zoo's contract.

In the spirit of scikit-learn's ``check_estimator`` / ``parametrize_with_checks``::

    from zoo_core.testing import check_conformance, parametrize_with_checks

    check_conformance("encoder:conv")          # raises ConformanceError on the first failing check

    @parametrize_with_checks(["encoder:conv", "conv-classifier"])
    def test_conformance(target, check):       # one pytest test per (target, check)
        check(target)

A target is an architecture name (``"lstm-classifier"``) or ``"KIND:NAME"`` for a component
(``"encoder:lstm"``, ``"pooler:max"``, ``"head:classify"``, ``"sampler:greedy"``), optionally with
config settings: ``("encoder:lstm", {"bidirectional": True})``.

Runtime code never imports this module; it imports torch and, for the pytest helper, pytest.
"""
from __future__ import annotations

from typing import Callable, Iterable, Union

from zoo_core.data.synthetic import write_sentiment_files
from zoo_core.extension.records import COMPONENT_KINDS
from zoo_core.extension.registry import get_registry
from zoo_core.testing import configs, models, modules
from zoo_core.testing.common import ConformanceError, Target, parse_target, placeholder_vocabs, registry

TargetLike = Union[str, Target, "tuple[str, dict]"]

__all__ = ["ConformanceError", "Target", "checks_for", "check_conformance", "parametrize_with_checks",
           "repository_targets",
           # helpers for plugin tests: the registry as discovery built it, vocabularies of a given size,
           # the embedded sentiment data set
           "registry", "placeholder_vocabs", "write_sentiment_files"]


def checks_for(target: TargetLike) -> list[Callable[[Target], None]]:
    """The checks that apply to ``target``, in the order they run."""
    target = parse_target(target)
    config_checks = [configs.check_config_round_trips_json, configs.check_config_rejects_bad_values]
    if target.kind == "architecture":
        return [*models.CHECKS, *config_checks]
    if target.kind == "head":
        return [*config_checks, models.check_head_used_by_an_architecture]
    return [*modules.CHECKS[target.kind], *config_checks]


def check_conformance(target: TargetLike) -> None:
    """Run every check on ``target``; raise :class:`ConformanceError` at the first failure."""
    target = parse_target(target)
    for check in checks_for(target):
        check(target)


def parametrize_with_checks(targets: Iterable[TargetLike]):
    """A pytest decorator making each (target, check) its own test, with ids like
    ``lstm-classifier-check_padding_invariance``; the test receives ``target`` and ``check``."""
    import pytest

    params = []
    for item in targets:
        target = parse_target(item)
        for check in checks_for(target):
            params.append(pytest.param(target, check, id=f"{target}-{check.__name__}"))
    return pytest.mark.parametrize(("target", "check"), params)


def repository_targets(root) -> list[Target]:
    """Every architecture and component registered by a plugin whose code lives under ``root``
    (this repository's first-party plugins and the core), discovered from the registry."""
    import importlib.util
    from pathlib import Path

    registry = get_registry()
    root = Path(root).resolve()

    def local(plugin: str) -> bool:
        module = registry.plugins[plugin].entry_point.partition(":")[0]
        spec = importlib.util.find_spec(module)
        return bool(spec and spec.origin) and root in Path(spec.origin).resolve().parents

    owners = {name for name in registry.plugins if local(name)}
    targets = [Target("architecture", name) for name in registry.list_models()
               if registry.architectures[name].plugin in owners]
    for kind in COMPONENT_KINDS:
        targets += [Target(kind, name) for name in registry.names(kind)
                    if registry.components[(kind, name)].plugin in owners]
    return targets
