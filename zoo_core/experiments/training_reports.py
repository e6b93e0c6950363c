"""A trained model's training summary (`zoo info MODEL`) and learning curves (`zoo train --plot`), read
from the model file's metadata and the per-epoch JSONL beside it, without torch."""
from __future__ import annotations

import json
from pathlib import Path

from zoo_core.errors import ZooError, one_line
from zoo_core.experiments.plots import plot_training_curves
from zoo_core.io.artifacts import metadata_json, read_metadata, shown
from zoo_core.io.store import existing_model, is_path, metrics_path, model_path


def is_trained_model(reference: str) -> bool:
    """A .safetensors path, or a store name with a saved model (architecture names are checked first)."""
    try:
        path = model_path(reference)
    except Exception:  # not a valid store name: not a model either
        return False
    return is_path(reference) or path.exists() or path.is_symlink()  # a broken one is reported, not "unknown"


def read_history(model_file: Path) -> list[dict]:
    """The per-epoch rows beside the model; a damaged metrics file gives none (it is a copy, the model is not)."""
    path = metrics_path(Path(model_file))
    if not path.is_file():
        return []
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return []
    return [row for row in rows if isinstance(row, dict) and "epoch" in row]


def model_summary(reference: str) -> dict:
    """Architecture, config and training summary of a saved model, plus its per-epoch history."""
    path = existing_model(reference)
    metadata = read_metadata(path)
    return {
        "model": str(path), "architecture": shown(metadata.get("zoo.architecture")), "task": shown(metadata.get("zoo.task")),
        "config": metadata_json(metadata, "zoo.config", path),
        "training": metadata_json(metadata, "zoo.training", path), "history": read_history(path),
    }


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4f}"
    return str(value)


def describe_training(info: dict) -> list[str]:
    training, history = info["training"], info["history"]
    lines = [f"{info['model']}", f"architecture {info['architecture']} (task {info['task']})"]
    if not training:
        return [one_line(line) for line in lines] + ["no training summary stored in this file"]
    lines.append(f"data: {training.get('data', '?')} on {training.get('device', '?')}")
    seconds = training.get("seconds", 0)
    seconds = f"{seconds:.0f}" if isinstance(seconds, (int, float)) else "?"
    lines.append(f"trained {training.get('epochs')} epochs in {seconds} s "
                 f"(stopped: {training.get('stopped')}); best {training.get('best_metric')}="
                 f"{_value(training.get('best_value'))} at epoch {training.get('best_epoch')}")
    if isinstance(training.get("test"), dict) and training["test"]:
        lines.append("test: " + ", ".join(f"{k}={_value(v)}" for k, v in training["test"].items()))
    if history:
        keys = [k for k in history[0] if k not in ("epoch", "seconds", "elapsed")]
        lines.append("")
        lines.append("epoch  " + "  ".join(f"{k:>14}" for k in keys))
        for row in history:
            lines.append(f"{_value(row['epoch']):>5}  " + "  ".join(f"{_value(row.get(k)):>14}" for k in keys))
    return [one_line(line) for line in lines]  # text from the file: no escapes, one line each


def curves_path(model_file: Path) -> Path:
    """`<model>.curves.png` beside the model."""
    model_file = Path(model_file)
    return model_file.with_name(model_file.name.removesuffix(".safetensors") + ".curves.png")


def plot_model_curves(reference: str) -> Path:
    path = model_path(reference)
    history = read_history(path)
    if not history:
        raise ZooError(f"{metrics_path(path)}: no per-epoch metrics to plot; train with --out to record them")
    return plot_training_curves(history, curves_path(path), title=path.name)
