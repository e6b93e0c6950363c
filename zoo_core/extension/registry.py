"""The registry: an object built from the plugins' hooks (not module-level dicts filled by
import side effects), answering "what is there" and validating configs against it."""
from __future__ import annotations

import copy
import difflib
import fnmatch
import os
import re
from dataclasses import replace
from typing import Any, Iterable

from pydantic import BaseModel

from zoo_core.config.overrides import INHERITED_KEYS, as_component, merge_config
from zoo_core.config.sections import COMPONENT_SECTIONS, SECTIONS, ModelConfig, StrictConfig
from zoo_core.config.validation import validate_model
from zoo_core.errors import ConfigError, UnknownNameError
from zoo_core.extension.discovery import (
    CORE_PLUGIN,
    FIRST_PARTY,
    TASK_PROVIDERS,
    PluginInfo,
    is_installed,
    is_left_out,
    load_plugins,
    pip_install,
)
from zoo_core.extension.records import COMPONENT_KINDS, Architecture, Component, Task


def natural_key(text: str) -> list:
    """Sort "lstm-2" before "lstm-10"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else ""


class EmptyDataConfig(StrictConfig):
    """A task without data options."""


class Registry:
    """Everything the plugins registered, with the failures of those that could not."""

    def __init__(self) -> None:
        self.components: dict[tuple[str, str], Component] = {}
        self.architectures: dict[str, Architecture] = {}
        self.tasks: dict[str, Task] = {}
        self.plugins: dict[str, PluginInfo] = {}
        # Architectures that need a task no loaded plugin provides: not listed, and naming one says why.
        self.unavailable: dict[str, str] = {}

    @classmethod
    def from_plugins(cls) -> "Registry":
        registry = cls()
        manager, registry.plugins = load_plugins()
        for hook_name, add in (
            ("register_tasks", registry._add_task),
            ("register_components", registry._add_component),
            ("register_architectures", registry._add_architecture),
        ):
            hook = getattr(manager.hook, hook_name)
            # Core, then first-party, then others by name: the first keeps a clashing name.
            impls = sorted(hook.get_hookimpls(), key=registry._precedence)
            for impl in impls:
                info = registry.plugins[impl.plugin_name]
                try:
                    impl.function(register=lambda item, info=info, add=add: add(item, info))
                except Exception as error:  # noqa: BLE001 - a failing plugin is reported, not fatal
                    info.errors.append(f"{hook_name} failed: {type(error).__name__}: {error}")
        registry._check_architectures()
        return registry

    def _precedence(self, impl) -> tuple:
        info = self.plugins[impl.plugin_name]
        return (info.name != CORE_PLUGIN, info.distribution not in FIRST_PARTY, info.name)

    # --- registration -----------------------------------------------------------------

    def _clash(self, info: PluginInfo, what: str, owner: str) -> None:
        info.errors.append(f"{what} is already registered by plugin '{owner}'; ignored")

    def _add_component(self, item: Component, info: PluginInfo) -> None:
        if not isinstance(item, Component) or item.kind not in COMPONENT_KINDS:
            raise TypeError(f"register_components expects zoo_core.Component with kind in {COMPONENT_KINDS}")
        key = (item.kind, item.name)
        if key in self.components:
            return self._clash(info, f"{item.kind} '{item.name}'", self.components[key].plugin)
        self.components[key] = _with_plugin(item, info.name)
        info.registered.append(f"{item.kind}:{item.name}")

    def _add_architecture(self, item: Architecture, info: PluginInfo) -> None:
        if not isinstance(item, Architecture):
            raise TypeError("register_architectures expects zoo_core.Architecture")
        if item.name in self.architectures:
            return self._clash(info, f"architecture '{item.name}'", self.architectures[item.name].plugin)
        self.architectures[item.name] = _with_plugin(item, info.name)
        info.registered.append(f"architecture:{item.name}")

    def _add_task(self, item: Task, info: PluginInfo) -> None:
        if not isinstance(item, Task):
            raise TypeError("register_tasks expects zoo_core.Task")
        if item.name in self.tasks:
            return self._clash(info, f"task '{item.name}'", self.tasks[item.name].plugin)
        self.tasks[item.name] = _with_plugin(item, info.name)
        info.registered.append(f"task:{item.name}")

    def _check_architectures(self) -> None:
        """An architecture whose task is missing is set aside as unavailable (its plugin is fine: the task's
        plugin is not here); one whose defaults do not validate is reported against its plugin. Both are dropped."""
        for name, arch in list(self.architectures.items()):
            if arch.task not in self.tasks:
                reason = self._missing_task(arch.task)
                self.plugins[arch.plugin].unavailable[name] = reason
                self.unavailable[name] = f"architecture '{name}' of plugin '{arch.plugin}' is unavailable: it {reason}"
                self.plugins[arch.plugin].registered.remove(f"architecture:{name}")
                del self.architectures[name]
                continue
            try:
                self.resolve(name)
            except Exception as error:  # noqa: BLE001
                self.plugins[arch.plugin].errors.append(f"architecture '{name}' is invalid: {error}")
                self.plugins[arch.plugin].registered.remove(f"architecture:{name}")
                del self.architectures[name]

    def _missing_task(self, task: str) -> str:
        """Why task ``task`` is not here and what to do, when the plugin providing it is known."""
        if task not in TASK_PROVIDERS:
            if os.environ.get("ZOO_PLUGINS") is not None:
                return f"needs task '{task}', which no loaded plugin provides (ZOO_PLUGINS limits which load)"
            return f"needs task '{task}', which no installed plugin provides"
        plugin, distribution = TASK_PROVIDERS[task]
        needed = f"needs task '{task}' from plugin '{plugin}'"
        if plugin in self.plugins and self.plugins[plugin].errors:
            return f"{needed}, which is installed but failed to load (`zoo plugins` shows why)"
        if plugin in self.plugins:  # loaded, yet without the task: a release from before it
            return (f"{needed}, which the installed {distribution} {self.plugins[plugin].version} lacks; "
                    f"upgrade it: {pip_install(distribution, upgrade=True)}")
        if is_left_out(plugin) and is_installed(plugin):
            return f"{needed}, which is installed but left out by ZOO_PLUGINS; add '{plugin}' to it"
        return f"{needed}; install it: {pip_install(distribution)}"

    # --- lookup -------------------------------------------------------------------------

    def list_models(self, pattern: str | None = None, task: str | None = None, exclude: Iterable[str] = ()) -> list[str]:
        """Architecture names matching an fnmatch pattern (``"*lstm*"``), naturally sorted."""
        names = [
            name
            for name, arch in self.architectures.items()
            if (pattern is None or fnmatch.fnmatch(name, pattern))
            and (task is None or arch.task == task)
            and not any(fnmatch.fnmatch(name, ex) for ex in exclude)
        ]
        return sorted(names, key=natural_key)

    def architecture(self, name: str) -> Architecture:
        if name in self.unavailable:
            raise UnknownNameError(self.unavailable[name])
        try:
            return self.architectures[name]
        except KeyError:
            raise UnknownNameError(
                f"unknown architecture '{name}'{suggest(name, self.architectures)} (`zoo list` shows them all)"
            ) from None

    def component(self, kind: str, name: str) -> Component:
        try:
            return self.components[(kind, name)]
        except KeyError:
            names = [n for k, n in self.components if k == kind]
            raise UnknownNameError(
                f"unknown {kind} '{name}'{suggest(name, names)} (known: {', '.join(sorted(names)) or 'none'})"
            ) from None

    def names(self, kind: str) -> list[str]:
        return sorted(n for k, n in self.components if k == kind)

    def task(self, name: str) -> Task:
        try:
            return self.tasks[name]
        except KeyError:
            raise UnknownNameError(f"unknown task '{name}'{suggest(name, self.tasks)}; is its plugin installed?") from None

    # --- configs ------------------------------------------------------------------------

    def resolve(self, name: str, overrides: dict | None = None) -> ModelConfig:
        """The validated config of architecture ``name`` with ``overrides`` (a nested dict) applied."""
        arch = self.architecture(name)
        base = {"architecture": arch.name, "task": arch.task, **copy.deepcopy(arch.defaults)}
        merged = merge_config(base, overrides or {})
        if merged.get("architecture") != arch.name or merged.get("task") != arch.task:
            raise ConfigError("architecture and task cannot be overridden; pick another architecture instead")
        return self.validate(merged)

    def validate(self, raw: dict) -> ModelConfig:
        """Validate a whole config dict (as stored in a model file or written by `zoo info`)."""
        raw = dict(raw)
        unknown = set(raw) - {"architecture", "task", *SECTIONS, *COMPONENT_SECTIONS, "data"}
        if unknown:
            raise ConfigError(f"{sorted(unknown)[0]}: unknown config section; known: encoder, head, data, {', '.join(SECTIONS)}")
        task = self.task(str(raw.get("task")))
        values: dict[str, Any] = {"architecture": raw.get("architecture", ""), "task": task.name}
        for section, model in SECTIONS.items():
            # A shared section (tokenizer.type word -> bpe) keeps all its settings: every type has them all.
            shared = {k: v for k, v in (raw.get(section) or {}).items() if k != INHERITED_KEYS}
            values[section] = validate_model(model, shared, section)
        for section in COMPONENT_SECTIONS:
            if section not in raw:
                raise ConfigError(f"{section}: missing; give {section}.type (one of {', '.join(self.names(section))})")
            values[section] = self.validate_component(section, raw[section], section)
        data_model = task.data_config or EmptyDataConfig
        values["data"] = validate_model(data_model, raw.get("data") or {}, "data")
        return ModelConfig(**values)

    def validate_component(self, kind: str, value: Any, path: str) -> BaseModel:
        """Validate a component given by name or {"type": name, ...}, nested components included."""
        value = as_component(value)
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        if not isinstance(value, dict) or "type" not in value:
            raise ConfigError(f"{path}: give a {kind} name or an object with 'type' (one of {', '.join(self.names(kind))})")
        value = dict(value)
        component = self._component_at(kind, value["type"], path)
        inherited = value.pop(INHERITED_KEYS, [])
        fields = component.config.model_fields
        value = {k: v for k, v in value.items() if k in fields or k == "type" or k not in inherited}
        config = validate_model(component.config, value, path)
        for field_name, field in fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            nested_kind = extra.get("zoo_component")
            if nested_kind:
                nested = self.validate_component(nested_kind, getattr(config, field_name), f"{path}.{field_name}")
                object.__setattr__(config, field_name, nested)
        return config

    def _component_at(self, kind: str, name: Any, path: str) -> Component:
        try:
            return self.component(kind, str(name))
        except UnknownNameError as error:
            raise ConfigError(f"{path}.type: {error}") from None

    def section_models(self, config: ModelConfig) -> dict[str, type[BaseModel]]:
        """The config class behind each section of ``config`` (for `zoo info` and JSON schema)."""
        models: dict[str, type[BaseModel]] = dict(SECTIONS)
        models["encoder"] = type(config.encoder)
        models["head"] = type(config.head)
        models["data"] = type(config.data)
        return models

    def json_schema(self, config: ModelConfig) -> dict:
        return {
            "title": f"{config.architecture} config",
            "type": "object",
            "properties": {name: model.model_json_schema() for name, model in self.section_models(config).items()},
        }


def _with_plugin(item, plugin: str):
    return replace(item, plugin=plugin)


_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The process's registry, built on first use."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry.from_plugins()
    return _REGISTRY
