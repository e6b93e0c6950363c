"""Tracking (issue 15 item 7): `zoo train --log tensorboard|mlflow` writes every JSONL metric, the learning rate
of each step and the throughput to local folders, read back here with each library's own reader."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

TINY = ["--set", "embedding.dim=8", "--set", "encoder.hidden_size=8", "--set", "training.batch_size=100",
        "--epochs", "2", "--threads", "1", "--quiet", "--out", "tracked"]


def train(sentiment_dir, cwd, *extra):
    return subprocess.run([sys.executable, "-m", "zoo_core.cli", "train", "gru-classifier", "--data", str(sentiment_dir),
                           *TINY, *extra], cwd=cwd, capture_output=True, text=True, env=os.environ, timeout=300)


def metrics_rows(zoo_home):
    return [json.loads(line) for line in (zoo_home / "models" / "tracked.metrics.jsonl").read_text().splitlines()]


def test_tensorboard_event_file_has_every_metric_lr_and_throughput(sentiment_dir, tmp_path, zoo_home):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    ran = train(sentiment_dir, tmp_path, "--log", "tensorboard")
    assert ran.returncode == 0, ran.stderr
    (run_folder,) = (tmp_path / "runs").iterdir()
    assert run_folder.name.startswith("tracked-")
    events = EventAccumulator(str(run_folder))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    rows = metrics_rows(zoo_home)
    for key in ("train_loss", "valid_accuracy", "valid_loss", "tokens_per_s", "lr", "seconds"):
        assert f"epoch/{key}" in tags
        assert [e.value for e in events.Scalars(f"epoch/{key}")] == pytest.approx([row[key] for row in rows])
    steps = events.Scalars("step/lr")
    assert len(steps) == sum(row["optimizer_steps"] for row in rows) and steps[0].value == pytest.approx(1e-3)


def test_mlflow_run_has_the_metrics(sentiment_dir, tmp_path, zoo_home, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # as the tracker does, to read the folder back
    ran = train(sentiment_dir, tmp_path, "--log", "mlflow")
    assert ran.returncode == 0, ran.stderr
    client = MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri())
    (run,) = client.search_runs([client.get_experiment_by_name("zoo").experiment_id])
    history = client.get_metric_history(run.info.run_id, "epoch_valid_accuracy")
    assert [m.value for m in history] == pytest.approx([row["valid_accuracy"] for row in metrics_rows(zoo_home)])
    assert run.data.params["training.epochs"] == "2"
    assert client.get_metric_history(run.info.run_id, "lr")
