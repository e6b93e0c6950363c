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

A check that does not apply to a target (gradients of a pooler without parameters, the carried state
of an encoder that carries none) is skipped with its reason. A known failure can be marked, like
scikit-learn's ``_xfail_checks``: ``expected_failures={"encoder:conv": {"check_name": "why"}}`` makes
that test an xfail (strict: once it passes, remove the mark).

Runtime code never imports this module; it imports torch and, for the pytest helper, pytest.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Optional, Union

from zoo_core.data.synthetic import write_sentiment_files
from zoo_core.extension.records import COMPONENT_KINDS
from zoo_core.extension.registry import get_registry
from zoo_core.testing import configs, models, modules
from zoo_core.testing.common import (
    CheckSkipped,
    ConformanceError,
    Target,
    parse_target,
    placeholder_vocabs,
    registry,
)

TargetLike = Union[str, Target, "tuple[str, dict]"]

__all__ = ["ConformanceError", "CheckSkipped", "CheckResult", "Target", "checks_for", "check_conformance",
           "parametrize_with_checks", "repository_targets",
           # helpers for plugin tests: the registry as discovery built it, vocabularies of a given size,
           # the embedded sentiment data set
           "registry", "placeholder_vocabs", "write_sentiment_files"]


@dataclass(frozen=True)
class CheckResult:
    """What one check did: ``outcome`` is "passed", "skipped" or "xfailed", with the reason for the last two."""

    check: str
    outcome: str
    reason: str = ""


def checks_for(target: TargetLike) -> list[Callable[[Target], None]]:
    """The checks that apply to ``target``, in the order they run."""
    target = parse_target(target)
    config_checks = [configs.check_config_round_trips_json, configs.check_config_rejects_bad_values,
                     configs.check_config_fields_bounded_and_described]
    if target.kind == "architecture":
        return [*models.CHECKS, *config_checks]
    if target.kind == "head":
        return [*config_checks, models.check_head_used_by_an_architecture]
    return [*modules.CHECKS[target.kind], *config_checks]


def check_conformance(target: TargetLike, expected_failures: Optional[Mapping[str, str]] = None) -> list[CheckResult]:
    """Run every check on ``target``; raise :class:`ConformanceError` at the first failure.

    ``expected_failures`` maps a check's name to the reason it is known to fail: that check's failure is
    reported as "xfailed", and its passing is an error (the mark is stale). Returns one result per check.
    """
    target = parse_target(target)
    expected = dict(expected_failures or {})
    _known_checks(target, expected)
    results = []
    for check in checks_for(target):
        name = check.__name__
        try:
            check(target)
        except CheckSkipped as skipped:
            results.append(CheckResult(name, "skipped", str(skipped)))
            continue
        except Exception as error:  # a marked check may fail by crashing too, as under pytest's xfail
            if name not in expected:
                raise
            results.append(CheckResult(name, "xfailed", f"{expected[name]} ({error})"))
            continue
        if name in expected:
            raise ConformanceError(f"{target} passes {name}, marked as an expected failure ({expected[name]}); "
                                   "remove it from expected_failures")
        results.append(CheckResult(name, "passed"))
    return results


def parametrize_with_checks(targets: Iterable[TargetLike],
                            expected_failures: Optional[Mapping[str, Mapping[str, str]]] = None):
    """A pytest decorator making each (target, check) its own test, with ids like
    ``lstm-classifier-check_padding_invariance``; the test receives ``target`` and ``check``.

    A check that does not apply is skipped with its reason. ``expected_failures`` maps a target
    (``"encoder:conv"``, an architecture name, or a target with settings as its test id shows it) to
    ``{check name: reason}``: those tests are strict xfails with that reason.
    """
    import pytest

    parsed = [parse_target(item) for item in targets]
    expected = {str(key): dict(value) for key, value in (expected_failures or {}).items()}
    for key, marked in expected.items():
        matching = [target for target in parsed if key in (str(target), target.label)]
        if not matching:
            raise ValueError(f"expected_failures names {key!r}, which is not among the targets "
                             f"({', '.join(map(str, parsed))})")
        _known_checks(matching[0], marked)
    params = []
    for target in parsed:
        marked = {**expected.get(target.label, {}), **expected.get(str(target), {})}
        for check in checks_for(target):
            reason = marked.get(check.__name__)
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(pytest.param(target, _skipped_by_pytest(check), id=f"{target}-{check.__name__}",
                                       marks=marks))
    return pytest.mark.parametrize(("target", "check"), params)


def _skipped_by_pytest(check: Callable[[Target], None]) -> Callable[[Target], None]:
    """``check``, with a check that does not apply reported as a pytest skip (with its reason)."""
    import pytest

    @functools.wraps(check)
    def run(target: Target) -> None:
        try:
            check(target)
        except CheckSkipped as skipped:
            pytest.skip(str(skipped))

    return run


def _known_checks(target: Target, marked: Mapping[str, str]) -> None:
    """Refuse an expected failure naming a check that ``target`` does not have (a typo would hide nothing)."""
    names = [check.__name__ for check in checks_for(target)]
    unknown = [name for name in marked if name not in names]
    if unknown:
        raise ValueError(f"expected_failures for {target} names {', '.join(map(repr, unknown))}, not one of its "
                         f"checks ({', '.join(names)})")


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
