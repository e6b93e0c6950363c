"""Experiment tracking (`zoo train --log tensorboard|mlflow`): every metric of the JSONL rows, the learning
rate of each step and the throughput, written by the library's own writer to a local folder (works offline):
``runs/NAME`` for TensorBoard, ``mlruns/`` for MLflow. Both are optional (extra ``tracking``)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from zoo_core.config.overrides import flatten
from zoo_core.errors import ConfigError

TRACKERS = ("tensorboard", "mlflow")
INSTALL = "pip install 'zoo-core[tracking]'"


def numbers(values: dict) -> dict[str, float]:
    """The numeric entries of a row (booleans and text, e.g. precision, are not curves)."""
    return {k: float(v) for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


class TensorBoardTracker:
    def __init__(self, name: str, config: dict, folder: Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError(f"--log tensorboard needs the tensorboard package: {INSTALL}") from None
        self.folder = folder / name
        self.writer = SummaryWriter(log_dir=str(self.folder))
        self.writer.add_text("config", f"```\n{config}\n```")

    def step(self, step: int, values: dict) -> None:
        for key, value in numbers(values).items():
            self.writer.add_scalar(f"step/{key}", value, step)

    def epoch(self, step: int, row: dict) -> None:
        for key, value in numbers(row).items():
            self.writer.add_scalar(f"epoch/{key}", value, int(row["epoch"]))

    def close(self) -> None:
        self.writer.close()


class MLflowTracker:
    def __init__(self, name: str, config: dict, folder: Path):
        try:
            import mlflow
        except ImportError:
            raise ConfigError(f"--log mlflow needs the mlflow-skinny package: {INSTALL}") from None
        self.mlflow = mlflow
        self.folder = folder
        # A plain local folder (mlruns/), readable by `mlflow ui`; MLflow 3 asks for this opt-in to use it.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        mlflow.set_tracking_uri(self.folder.resolve().as_uri())
        mlflow.set_experiment("zoo")
        self.run = mlflow.start_run(run_name=name)
        flat = flatten(config)
        mlflow.log_params({k: str(v)[:500] for k, v in list(flat.items())[:100]})

    def step(self, step: int, values: dict) -> None:
        self.mlflow.log_metrics(numbers(values), step=step)

    def epoch(self, step: int, row: dict) -> None:
        self.mlflow.log_metrics({f"epoch_{k}": v for k, v in numbers(row).items()}, step=int(row["epoch"]))

    def close(self) -> None:
        self.mlflow.end_run()


def open_tracker(kind: Optional[str], name: str, config: dict, root: Path = Path(".")):
    """The tracker for ``--log kind`` (None: no tracking), writing under ``root``."""
    if kind is None:
        return None
    if kind == "tensorboard":
        return TensorBoardTracker(name, config, root / "runs")
    if kind == "mlflow":
        return MLflowTracker(name, config, root / "mlruns")
    raise ConfigError(f"--log {kind}: use one of {', '.join(TRACKERS)}")
