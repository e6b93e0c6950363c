"""`zoo compare --search optuna` (issue 15 item 8): sampled trials, each its own run reporting per-epoch validation
to the study, the median pruner, and one sqlite study shared by two processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

optuna = pytest.importorskip("optuna")

from zoo_core.experiments.pruning import Pruned, pruning_callback  # noqa: E402
from zoo_core.experiments.search import parse_space  # noqa: E402


def test_two_processes_share_one_sqlite_study(tmp_path, sentiment_dir):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    command = [sys.executable, "-m", "zoo_core.cli", "compare", "gru-classifier", "--data", str(sentiment_dir),
               "--search", "optuna", "--trials", "2", "--storage", storage, "--grid", "training.lr=0.001:0.05",
               "--grid", "encoder.hidden_size=4,8", "--set", "embedding.dim=8", "--set", "training.epochs=2",
               "--threads", "1", "--no-plots"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [subprocess.Popen([*command, "--out", str(tmp_path / name)], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in ("a", "b")]
    for worker in workers:
        out, err = worker.communicate(timeout=400)
        assert worker.returncode == 0, err
        assert "valid accuracy" in out  # the same table as a grid comparison
    study = optuna.load_study(study_name="zoo", storage=storage)
    assert len(study.trials) == 4
    assert all(t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED) for t in study.trials)
    assert all(t.intermediate_values for t in study.trials)  # each run reported its epochs from its own process
    numbers = []
    for name in ("a", "b"):
        results = json.loads((tmp_path / name / "results.json").read_text())
        assert results["settings"]["search"] == "optuna" and len(results["runs"]) == 2
        numbers += [row["trial"] for row in results["runs"]]
        for row in results["runs"]:
            assert 0.001 <= row["overrides"]["training"]["lr"] <= 0.05
    assert sorted(numbers) == [0, 1, 2, 3]


def test_the_median_pruner_stops_a_run_below_the_median(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="zoo", storage=storage, direction="maximize",
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1))
    for _ in range(2):
        trial = study.ask()
        for epoch in (1, 2, 3):
            trial.report(0.8, epoch)
        study.tell(trial, 0.8)
    trial = study.ask()
    on_epoch = pruning_callback({"storage": storage, "study": "zoo", "trial_id": trial._trial_id}, True,
                                "valid_accuracy")
    on_epoch({"epoch": 1, "valid_accuracy": 0.3})  # warmup: not pruned yet
    with pytest.raises(Pruned, match="after epoch 2"):
        on_epoch({"epoch": 2, "valid_accuracy": 0.3})
    good = study.ask()
    keep = pruning_callback({"storage": storage, "study": "zoo", "trial_id": good._trial_id}, True, "valid_accuracy")
    keep({"epoch": 2, "valid_accuracy": 0.9})
    # Lower is better (a loss): reported negated, so a low loss is not pruned.
    loss = study.ask()
    pruning_callback({"storage": storage, "study": "zoo", "trial_id": loss._trial_id}, False, "valid_loss")(
        {"epoch": 2, "valid_loss": -0.9})


def test_search_space_syntax():
    assert parse_space(["training.lr=1e-4:1e-2", "encoder.hidden_size=8:64", "head.pooling=max,mean"]) == {
        "training.lr": ("float", 1e-4, 1e-2), "encoder.hidden_size": ("int", 8, 64),
        "head.pooling": ("choice", ["max", "mean"])}
    from zoo_core.errors import ConfigError

    with pytest.raises(ConfigError, match="LOW < HIGH"):
        parse_space(["training.lr=0.1:0.01"])


def test_a_pruned_run_stops_after_the_epoch_and_is_recorded(tmp_path, sentiment_dir):
    from zoo_core.experiments.compare import RunSpec, execute

    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="zoo", storage=storage, direction="maximize")
    for _ in range(2):  # two finished trials that were perfect at every epoch
        trial = study.ask()
        for epoch in range(1, 6):
            trial.report(1.0, epoch)
        study.tell(trial, 1.0)
    trial = study.ask()
    spec = RunSpec("gru-classifier", {"embedding": {"dim": 8}, "encoder": {"hidden_size": 8},
                                      "training": {"epochs": 5, "patience": None}}, seed=0)
    row = execute(spec, str(sentiment_dir), None, tmp_path / "runs", {}, threads=1, run_id="trial2",
                  extra={"optuna": {"storage": storage, "study": "zoo", "trial_id": trial._trial_id}})
    assert row["status"] == "ok" and row["pruned"] is True and row["epochs"] == 2, row
    assert sorted(optuna.load_study(study_name="zoo", storage=storage).trials[2].intermediate_values) == [1, 2]
