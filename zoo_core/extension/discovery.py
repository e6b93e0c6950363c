"""Plugin discovery: one PluginManager, entry points loaded one at a time so one broken plugin
cannot break the others (the flaw of llm#1280)."""
from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from importlib import metadata

import pluggy

from zoo_core._version import __version__
from zoo_core.extension import builtins, hookspecs

ENTRY_POINT_GROUP = "zoo.plugins"
CORE_PLUGIN = "core"
# Distributions that live in this repository (the core and plugins/*): on a name clash they keep
# their names, so installing a third-party plugin never silently replaces a first-party model.
FIRST_PARTY = {"zoo-core", "zoo-recurrent", "zoo-bidirectional", "zoo-pooling", "zoo-seq2seq", "zoo-modern"}
# The tasks first-party plugins add, with the plugin and distribution adding each: an architecture of
# another plugin that needs one of them can say what to install (tests/test_registry.py keeps this true).
TASK_PROVIDERS = {"lm": ("recurrent", "zoo-recurrent"), "tag": ("bidirectional", "zoo-bidirectional"),
                  "seq2seq": ("seq2seq", "zoo-seq2seq")}


def pip_install(requirement: str, upgrade: bool = False) -> str:
    """The pip command installing ``requirement``, which pastes into a shell as is: a specifier is quoted
    (unquoted, ``zoo-x>=1.0`` would redirect into a file named ``=1.0``); a bare name is left bare."""
    quoted = shlex.quote(requirement)
    if quoted == requirement and not re.fullmatch(r"[A-Za-z0-9._-]+", requirement):
        quoted = f"'{requirement}'"  # "zoo-x==1.0" is safe bare, but every specifier reads the same way
    return " ".join(["pip", "install", *(["-U"] if upgrade else []), quoted])


@dataclass
class PluginInfo:
    """One plugin as `zoo plugins` shows it."""

    name: str
    distribution: str
    version: str
    entry_point: str
    registered: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Architectures that need what is not installed (a task of another plugin), with the reason: shown,
    # not an error of this plugin.
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _wanted_plugins() -> set[str] | None:
    # ZOO_PLUGINS=a,b loads only those entry points; ZOO_PLUGINS= (empty) loads none.
    value = os.environ.get("ZOO_PLUGINS")
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def is_left_out(plugin: str) -> bool:
    """Whether ZOO_PLUGINS keeps ``plugin`` from loading."""
    wanted = _wanted_plugins()
    return wanted is not None and plugin not in wanted


def is_installed(plugin: str) -> bool:
    """Whether some installed distribution has a `zoo.plugins` entry point named ``plugin``."""
    return any(True for _ in metadata.entry_points(group=ENTRY_POINT_GROUP, name=plugin))


def load_plugins() -> tuple[pluggy.PluginManager, dict[str, PluginInfo]]:
    """Register the core's built-ins and every `zoo.plugins` entry point that imports."""
    manager = pluggy.PluginManager("zoo")
    manager.add_hookspecs(hookspecs)
    infos: dict[str, PluginInfo] = {}
    manager.register(builtins, name=CORE_PLUGIN)
    infos[CORE_PLUGIN] = PluginInfo(CORE_PLUGIN, "zoo-core", __version__, "zoo_core.extension.builtins")

    wanted = _wanted_plugins()
    for entry_point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        if wanted is not None and entry_point.name not in wanted:
            continue
        if entry_point.name in infos:
            continue  # the same distribution seen twice on sys.path
        dist = entry_point.dist
        info = PluginInfo(
            name=entry_point.name,
            distribution=dist.name if dist else "?",
            version=dist.version if dist else "?",
            entry_point=entry_point.value,
        )
        infos[entry_point.name] = info
        try:
            manager.register(entry_point.load(), name=entry_point.name)
        except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
            info.errors.append(f"failed to import {entry_point.value}: {type(error).__name__}: {error}")
    return manager, infos
