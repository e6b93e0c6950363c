"""Saving a model: its weights and, in the file's metadata, everything needed to rebuild it (the config,
vocabularies, the plugins used and their versions); and checking, on load, that those plugins are here."""
from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

from pydantic import BaseModel
from safetensors.torch import save_model as save_weights

from zoo_core._version import __version__
from zoo_core.errors import ArtifactError
from zoo_core.extension.registry import Registry, get_registry
from zoo_core.io.artifacts import FORMAT_VERSION
from zoo_core.io.store import model_path, publish


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
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        # save_model (not save_file) handles tensors that share memory, e.g. tied embeddings.
        save_weights(model, temporary, metadata=metadata)
        publish(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def check_plugins(metadata: dict, registry: Registry, path: Path) -> None:
    """Say which package to install when a plugin is missing or lacks a component the model uses;
    warn when the model was saved with a newer major version of a plugin."""
    try:
        recorded = json.loads(metadata.get("zoo.plugins", "[]"))
    except json.JSONDecodeError:
        raise ArtifactError(f"{path}: corrupt zoo.plugins metadata") from None
    for entry in recorded:
        name, dist, version = entry.get("plugin", ""), entry.get("distribution"), entry.get("version")
        installed = registry.plugins.get(name)
        if installed is not None and installed.errors and not installed.registered:
            raise ArtifactError(f"{path}: this model needs plugin '{name}', which is installed but failed to load "
                                f"({installed.errors[0]}); `zoo plugins` shows why")
        if installed is None:
            hint = " (or add it to ZOO_PLUGINS)" if os.environ.get("ZOO_PLUGINS") is not None else ""
            raise ArtifactError(f"{path}: this model needs plugin '{name}'; install it: pip install {dist}>={version}"
                                f"{hint}")
        missing = [item for item in entry.get("provides", []) if not _registered(registry, item)]
        if missing:
            raise ArtifactError(f"{path}: this model needs {missing[0].replace(':', ' ', 1)} from plugin '{name}' "
                                f"({dist} {version}), which the installed {installed.version} lacks; "
                                f"upgrade it: pip install -U '{dist}>={version}'")
        if _major(version) > _major(installed.version):
            warnings.warn(f"{path} was saved with {dist} {version}, a newer major version than the installed "
                          f"{installed.version}; upgrade it (pip install -U '{dist}>={version}') if the model "
                          "misbehaves", stacklevel=3)


def _registered(registry: Registry, item: str) -> bool:
    """Whether "kind:name" (as recorded under `provides`) is registered now; architectures need not be."""
    kind, _, name = item.partition(":")
    if kind == "task":
        return name in registry.tasks
    if kind == "architecture":
        return True  # the stored config rebuilds the model without its preset
    return (kind, name) in registry.components


def _major(version) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return 0
