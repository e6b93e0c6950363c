"""Saving a model: its weights and, in the file's metadata, everything needed to rebuild it (the config,
vocabularies, the plugins used and their versions); and checking, on load, that those plugins are here."""
from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path

from pydantic import BaseModel
from safetensors.torch import save_model as save_weights

from zoo_core._version import __version__
from zoo_core.data.stored_vocabs import vocab_metadata
from zoo_core.errors import ArtifactError
from zoo_core.extension.discovery import pip_install
from zoo_core.extension.registry import Registry, get_registry
from zoo_core.io.artifacts import FORMAT_VERSION, metadata_json, seal
from zoo_core.io.store import atomic_target, model_path


def components_used(config) -> list[tuple[str, str]]:
    """(kind, name) of every component in a config, nested ones (a head's pooler) included."""
    used = []

    def walk(kind: str, value: BaseModel):
        used.append((kind, value.type))
        for field_name, field in type(value).model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if extra.get("zoo_component"):
                walk(extra["zoo_component"], getattr(value, field_name))

    walk("encoder", config.encoder)
    walk("head", config.head)
    return used


def plugins_used(config, registry: Registry) -> list[dict]:
    """Each plugin whose components, architecture or task the model uses, with its version."""
    owners: dict[str, list[str]] = {}
    owners.setdefault(registry.tasks[config.task].plugin, []).append(f"task:{config.task}")
    if config.architecture in registry.architectures:
        owners.setdefault(registry.architectures[config.architecture].plugin, []).append(
            f"architecture:{config.architecture}")
    for kind, name in components_used(config):
        owners.setdefault(registry.components[(kind, name)].plugin, []).append(f"{kind}:{name}")
    return [
        {"plugin": name, "distribution": registry.plugins[name].distribution,
         "entry_point": registry.plugins[name].entry_point, "version": registry.plugins[name].version,
         "provides": provides}
        for name, provides in sorted(owners.items())
    ]


def save_model(model, path, summary: dict | None = None) -> Path:
    """Write ``model`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = model_path(path) if isinstance(path, str) else Path(path)  # a store name or a path, as load reads it
    path.parent.mkdir(parents=True, exist_ok=True)
    registry = get_registry()
    summary = summary if summary is not None else model.training_summary
    metadata = {
        "format": "pt",
        "zoo.format_version": FORMAT_VERSION,
        "zoo.version": __version__,
        "zoo.architecture": model.config.architecture,
        "zoo.task": model.config.task,
        "zoo.config": json.dumps(model.config.to_dict()),
        "zoo.vocabs": json.dumps({name: vocab.tokens for name, vocab in model.vocabs.items()}),
        "zoo.plugins": json.dumps(plugins_used(model.config, registry)),
        "zoo.training": json.dumps(summary or {}),
    }
    # A subword tokenizer (as its library's JSON), a char LM's settings: what a vocabulary carries beyond tokens.
    metadata.update(vocab_metadata(model.vocabs))
    with atomic_target(path) as temporary:
        # save_model (not save_file) handles tensors that share memory, e.g. tied embeddings.
        save_weights(model, temporary, metadata=metadata)
        seal(temporary)  # the sha256 of the weights and of the header, verified on load (format 2)
    return path


def check_plugins(metadata: dict, registry: Registry, path: Path) -> None:
    """Say which package to install when a plugin is missing or lacks a component the model uses;
    warn when the model was saved with a newer major version of a plugin."""
    for entry in recorded_plugins(metadata, path):
        name, dist, version = entry.get("plugin", ""), entry.get("distribution"), entry.get("version")
        installed = registry.plugins.get(name)
        if installed is not None and installed.errors and not installed.registered:
            raise ArtifactError(f"{path}: this model needs plugin '{name}', which is installed but failed to load "
                                f"({installed.errors[0]}); `zoo plugins` shows why")
        if installed is None:
            hint = " (or add it to ZOO_PLUGINS)" if os.environ.get("ZOO_PLUGINS") is not None else ""
            raise ArtifactError(f"{path}: this model needs plugin '{name}'; install it: "
                                f"{pip_install(f'{dist}>={version}')}{hint}")
        missing = [item for item in entry.get("provides", []) if not _registered(registry, item)]
        if missing:
            needed = f"{path}: this model needs {missing[0].replace(':', ' ', 1)} from plugin '{name}'"
            if _is_older(installed.version, version):
                raise ArtifactError(f"{needed} ({dist} {version}), which the installed {installed.version} lacks; "
                                    f"upgrade it: {pip_install(f'{dist}>={version}', upgrade=True)}")
            # Installed is the same or newer: the component went away (removed or renamed), so an upgrade
            # cannot help; the release the model was saved with can.
            raise ArtifactError(f"{needed}, saved with {dist} {version}; the installed {installed.version} lacks it "
                                f"(removed or renamed since {version}); {_saved_release_or_retrain(dist, version)}")
        if _major(version) > _major(installed.version):
            warnings.warn(f"{path} was saved with {dist} {version}, a newer major version than the installed "
                          f"{installed.version}; upgrade it ({pip_install(f'{dist}>={version}', upgrade=True)}) "
                          "if the model misbehaves", stacklevel=3)


def recorded_plugins(metadata: dict, path: Path) -> list[dict]:
    """The plugins (with their versions) the model file says it was saved with."""
    return metadata_json(metadata, "zoo.plugins", path, list)


def major_version_changes(metadata: dict, registry: Registry, path: Path) -> str:
    """For an error about a stored config or weights: the plugins whose installed major version differs from
    the one the model was saved with (the likely cause), or "" when none does."""
    def major_changed(entry: dict) -> bool:
        installed = registry.plugins.get(entry.get("plugin"))
        if installed is None or None in (_release(entry.get("version")), _release(installed.version)):
            return False  # a version without numbers ("?"): nothing to compare
        return _major(entry.get("version")) != _major(installed.version)

    changed = [entry for entry in recorded_plugins(metadata, path) if major_changed(entry)]
    if not changed:
        return ""
    versions = ", ".join(f"saved with {entry.get('distribution')} {entry.get('version')}, installed "
                         f"{registry.plugins[entry['plugin']].version}" for entry in changed)
    first = changed[0]
    return (f" ({versions}: a different major version); "
            f"{_saved_release_or_retrain(first.get('distribution'), first.get('version'))}")


def _saved_release_or_retrain(dist, version) -> str:
    if _release(version) is None:
        return "retrain the model with the installed plugin"
    return f"install the release it was saved with ({pip_install(f'{dist}=={version}')}) or retrain the model"


def _registered(registry: Registry, item: str) -> bool:
    """Whether "kind:name" (as recorded under `provides`) is registered now; architectures need not be."""
    kind, _, name = item.partition(":")
    if kind == "task":
        return name in registry.tasks
    if kind == "architecture":
        return True  # the stored config rebuilds the model without its preset
    return (kind, name) in registry.components


def _release(version) -> tuple[int, ...] | None:
    """The numbers of a version ("2.0.1rc1" -> (2, 0, 1)), trailing zeros dropped so 2.0 == 2.0.0; None if none."""
    match = re.match(r"\d+(\.\d+)*", str(version))
    if match is None:
        return None
    numbers = [int(part) for part in match.group().split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def _is_older(installed, recorded) -> bool:
    """Whether the installed version is known to be older than the recorded one."""
    have, want = _release(installed), _release(recorded)
    return have is not None and want is not None and have < want


def _major(version) -> int:
    release = _release(version)
    return release[0] if release else 0
