"""registry.json: the catalog of first-party architectures, written by `python -m tools.registry` and
checked by a test against what plugin discovery finds."""
from __future__ import annotations

import json
from pathlib import Path

from zoo_core.extension.discovery import FIRST_PARTY
from zoo_core.extension.registry import get_registry
from zoo_core.io.store import atomic_write_bytes


def build_catalog(root: Path | None = None) -> dict:
    """``root``: the repository whose results/ feed each architecture's `results` entry (default: cwd)."""
    from zoo_core.experiments.reference_results import reference_results

    registry = get_registry()
    results = reference_results(Path(root) if root is not None else Path.cwd())
    architectures = []
    for name in registry.list_models():
        arch = registry.architectures[name]
        plugin = registry.plugins[arch.plugin]
        if plugin.distribution not in FIRST_PARTY:
            continue
        architectures.append({
            "name": name, "task": arch.task, "plugin": arch.plugin, "distribution": plugin.distribution,
            "description": arch.description, "config": registry.resolve(name).to_dict(),
            **({"results": results[name]} if name in results else {}),
        })
    return {"format": 1, "architectures": architectures}


def render_catalog(root: Path | None = None) -> str:
    return json.dumps(build_catalog(root), indent=2, sort_keys=False) + "\n"


def write_catalog(path: str | Path) -> Path:
    path = Path(path)
    atomic_write_bytes(path, render_catalog(path.resolve().parent).encode())
    return path


def check_catalog(path: str | Path) -> str | None:
    """None when ``path`` matches discovery; otherwise a one-line description of the difference."""
    path = Path(path)
    if not path.is_file():
        return f"{path} does not exist; run `python -m tools.registry` to write it"
    stored = json.loads(path.read_text(encoding="utf-8"))
    current = build_catalog(path.resolve().parent)
    if stored == current:
        return None
    stored_names = {a["name"] for a in stored.get("architectures", [])}
    current_names = {a["name"] for a in current["architectures"]}
    if stored_names != current_names:
        return (f"{path} is out of date: missing {sorted(current_names - stored_names)}, "
                f"extra {sorted(stored_names - current_names)}; run `python -m tools.registry`")
    return f"{path} is out of date (configs, descriptions or results/ changed); run `python -m tools.registry`"
