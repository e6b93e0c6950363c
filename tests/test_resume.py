"""Exact resume (issue 15): a run killed after a checkpoint and resumed ends bitwise where an uninterrupted
run ends, with SIGKILL, SIGTERM and a double SIGINT; checkpoints are safetensors + JSON and go away on
completion."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from zoo_core.io.store import read_header

# Tiny, one thread, checkpoints every few milliseconds: the kill lands within an epoch as well as after one.
COMMAND = ["train", "gru-classifier", "--threads", "1", "--quiet", "--set", "embedding.dim=8",
           "--set", "encoder.hidden_size=8", "--set", "training.epochs=3", "--set", "training.patience=null",
           "--set", "embedding.dropout=0.2", "--set", "training.schedule.type=cosine",
           "--set", "training.schedule.warmup_steps=5"]
TIMING = ("seconds", "elapsed", "tokens_per_s")


def zoo(*args, home=None):
    env = {**os.environ, "OMP_NUM_THREADS": "1", **({"ZOO_HOME": str(home)} if home else {})}
    return subprocess.Popen([sys.executable, "-m", "zoo_core.cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def finish(process, timeout=240) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def wait_for(path: Path, process, timeout=120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"no {path} after {timeout} s"
        time.sleep(0.01)


def weights_and_metrics(models: Path, name: str):
    weights = load_file(models / f"{name}.safetensors")
    rows = [json.loads(line) for line in (models / f"{name}.metrics.jsonl").read_text().splitlines()]
    return weights, [{k: v for k, v in row.items() if k not in TIMING} for row in rows]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run (its checkpoint kept, to check what is in one)."""
    home = tmp_path_factory.mktemp("reference")
    code, out, err = finish(zoo(*COMMAND, "--out", "run", "--keep-checkpoints",
                                "--set", "training.checkpoint_minutes=0.0001", home=home))
    assert code == 0, err
    assert out.strip().splitlines()[-1] == "stopped: 3 epochs done"
    return home / "models"


def check_same(reference: Path, models: Path, epochs: int = 3) -> None:
    expected_weights, expected_metrics = weights_and_metrics(reference, "run")
    weights, metrics = weights_and_metrics(models, "run")
    assert expected_weights.keys() == weights.keys()
    assert all(torch.equal(expected_weights[key], weights[key]) for key in weights)
    assert metrics == expected_metrics and len(metrics) == epochs
    assert not (models / "run.checkpoint").exists()  # removed when the run completed
    assert not list(models.glob(".*.tmp")) and not list(models.glob(".*.lock"))


@pytest.mark.parametrize("stop", ["SIGKILL", "SIGKILL after an epoch", "SIGTERM", "double SIGINT"])
def test_killed_and_resumed_run_ends_bitwise_like_the_uninterrupted_one(reference, zoo_home, stop):
    models = zoo_home / "models"
    # Checkpoints within epochs, or only the one after each epoch.
    often = [] if stop.endswith("epoch") else ["--set", "training.checkpoint_minutes=0.0001"]
    process = zoo(*COMMAND, "--out", "run", *often)
    wait_for(models / "run.checkpoint", process)
    if stop == "double SIGINT":
        process.send_signal(signal.SIGINT)
        time.sleep(0.005)
        process.send_signal(signal.SIGINT)
    else:
        process.send_signal(getattr(signal, stop.split()[0]))
    code, _, err = finish(process)
    if stop.startswith("SIGKILL"):
        assert code == -signal.SIGKILL
    else:
        assert code == (130 if stop == "double SIGINT" else 143), err
        assert "resume with the same command plus --resume" in err
        assert (models / "run.safetensors").exists() and (models / "run.checkpoint").exists()
        summary = json.loads(read_header(models / "run.safetensors")["__metadata__"]["zoo.training"])
        assert summary["stopped"] == ("signal SIGINT" if stop == "double SIGINT" else "signal SIGTERM")
    code, out, err = finish(zoo(*COMMAND, "--out", "run", "--resume"))
    assert code == 0, err
    check_same(reference, models)


def test_checkpoint_is_safetensors_with_json_and_every_state(reference):
    header = read_header(reference / "run.checkpoint")
    document = json.loads(header["__metadata__"]["zoo.checkpoint"])["contents"]
    assert set(document) >= {"config", "position", "model", "best", "optimizer", "scheduler", "scaler", "rng", "run_id"}
    assert set(document["rng"]) >= {"torch", "python", "numpy", "data"}
    assert document["position"]["epoch"] == 4 and document["position"]["batches_done"] == 0
    assert document["scheduler"]["last_epoch"] > 0
    tensors = [key for key in header if key != "__metadata__"]
    assert any(key.startswith("c.optimizer.state.") for key in tensors)
    assert "c.rng.torch" in tensors


def test_resume_without_a_checkpoint_or_with_other_settings_is_one_line(zoo_home, sentiment_dir):
    process = zoo(*COMMAND, "--out", "fresh", "--resume")
    code, _, err = finish(process)
    assert code == 1 and err.strip().splitlines()[-1].startswith("zoo: error: nothing to resume")
    code, _, err = finish(zoo(*COMMAND, "--out", "kept", "--keep-checkpoints", "--epochs", "1"))
    assert code == 0, err
    code, _, err = finish(zoo(*COMMAND, "--out", "kept", "--resume", "--set", "training.lr=0.5"))
    assert code == 1 and "training.lr differs from the checkpoint's run" in err and "Traceback" not in err


def test_two_processes_resume_from_rank_0s_checkpoint(tmp_path, sentiment_dir):
    """DDP: rank 0 writes the checkpoint, both processes resume from it; dropout-free, so the resumed
    2-epoch run equals the uninterrupted one bitwise."""
    from conftest import run_zoo

    exact = ["--data", str(sentiment_dir), "--nproc-per-node", "2", "--threads", "1", "--quiet", "--seed", "3",
             "--set", "embedding.dim=8", "--set", "encoder.hidden_size=8", "--set", "training.patience=null"]
    whole, split = tmp_path / "whole", tmp_path / "split"
    ran = run_zoo("train", "gru-classifier", *exact, "--epochs", "2", "--out", "run", env={"ZOO_HOME": str(whole)})
    assert ran.returncode == 0, ran.stderr
    ran = run_zoo("train", "gru-classifier", *exact, "--epochs", "1", "--out", "run", "--keep-checkpoints",
                  env={"ZOO_HOME": str(split)})
    assert ran.returncode == 0 and (split / "models" / "run.checkpoint").exists(), ran.stderr
    ran = run_zoo("train", "gru-classifier", *exact, "--epochs", "2", "--out", "run", "--resume",
                  env={"ZOO_HOME": str(split)})
    assert ran.returncode == 0, ran.stderr
    check_same(whole / "models", split / "models", epochs=2)
