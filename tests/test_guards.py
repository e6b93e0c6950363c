"""Guards (issue 15 item 4): a non-finite loss stops training keeping the last finite best, strict config
types, tiny temperatures are greedy, too many CPU processes and configs far beyond memory are refused."""
from __future__ import annotations

import json

import pytest
import torch

import zoo_core
from conftest import run_zoo
from zoo_core.errors import ConfigError
from zoo_core.tasks.classify import ClassifyTask
from zoo_core.training.session import TrainingDivergedError

TINY = {"embedding": {"dim": 8}, "encoder": {"hidden_size": 8}, "training": {"patience": None, "batch_size": 64}}


def poison_the_loss_from_call(monkeypatch, first_bad: int) -> None:
    calls = {"n": 0}
    original = ClassifyTask.train_step

    def train_step(self, model, batch, carry):
        calls["n"] += 1
        loss, carry = original(self, model, batch, carry)
        return (loss * float("nan") if calls["n"] >= first_bad else loss), carry

    monkeypatch.setattr(ClassifyTask, "train_step", train_step)


def test_a_nan_loss_stops_and_keeps_the_last_finite_best(monkeypatch, sentiment_dir, zoo_home, capsys):
    poison_the_loss_from_call(monkeypatch, first_bad=8)  # 5 batches an epoch: epoch 2, its 3rd step
    model = zoo_core.train("gru-classifier", str(sentiment_dir), out="nan", overrides={**TINY, "training": {
        **TINY["training"], "epochs": 5}})
    summary = model.training_summary
    assert summary["stopped"] == "non-finite loss" and summary["best_epoch"] == 1 and summary["epochs"] == 1
    err = capsys.readouterr().err
    assert "the training loss became nan at epoch 2, step 8" in err and "training.lr=" in err
    assert all(torch.isfinite(p).all() for p in model.parameters())
    saved = zoo_core.load("nan")
    assert all(torch.isfinite(p).all() for p in saved.parameters())
    assert not (zoo_home / "models" / "nan.checkpoint").exists()


def test_a_nan_loss_in_the_first_epoch_saves_nothing(monkeypatch, sentiment_dir, zoo_home):
    poison_the_loss_from_call(monkeypatch, first_bad=2)
    with pytest.raises(TrainingDivergedError, match="became nan at epoch 1, step 2.*nothing was saved"):
        zoo_core.train("gru-classifier", str(sentiment_dir), out="nan", overrides=TINY)
    assert not (zoo_home / "models" / "nan.safetensors").exists()


def test_huge_weight_decay_is_one_line_not_a_nan_model(sentiment_dir, zoo_home):
    ran = run_zoo("train", "gru-classifier", "--data", str(sentiment_dir), "--out", "wd", "--quiet",
                  "--set", "training.weight_decay=1e308", "--set", "embedding.dim=8", "--set", "encoder.hidden_size=8")
    assert ran.returncode == 1, ran.stderr
    assert ran.stderr.startswith("zoo: error: the training loss became nan at epoch 1, step 2")
    assert "weight decay (training.weight_decay=1e+308)" in ran.stderr and "Traceback" not in ran.stderr
    assert not (zoo_home / "models" / "wd.safetensors").exists()


@pytest.mark.parametrize("field,value", [("encoder.hidden_size", True), ("training.epochs", "3"),
                                         ("training.batch_size", 2.5)])
def test_config_types_are_strict(field, value):
    section, name = field.split(".")
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        zoo_core.get_config("lstm-classifier", **{f"{section}__{name}": value})
    ran = run_zoo("info", "lstm-classifier", "--set", f"{field}={json.dumps(value)}")
    assert ran.returncode == 1 and field in ran.stderr and "Traceback" not in ran.stderr


def test_an_int_is_still_a_float():
    assert zoo_core.get_config("lstm-classifier", training__lr=1).training.lr == 1


def test_a_tiny_temperature_is_greedy():
    from zoo_core.data.vocab import Vocab

    torch.manual_seed(0)
    model = zoo_core.create_model("char-lstm-lm", vocab=Vocab(["<pad>", "<unk>", "<s>", *"abcdefgh "]),
                                  embedding__dim=8, encoder__hidden_size=16).eval()
    greedy = "".join(model.generate("ab", max_tokens=30, sampler="greedy"))
    assert "".join(model.generate("ab", max_tokens=30, temperature=1e-38, seed=1)) == greedy
    assert len(set(greedy)) > 1 or greedy  # (greedy itself is whatever the untrained model prefers)


def test_more_cpu_processes_than_cores_are_refused_unless_oversubscribed(monkeypatch):
    from zoo_core.training.distributed import check_process_count

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="--nproc-per-node 64: this machine has 2 CPU cores and no GPU"):
        check_process_count(64)
    check_process_count(64, oversubscribe=True)
    check_process_count(2)
    ran = run_zoo("train", "gru-classifier", "--nproc-per-node", "4096")
    assert ran.returncode != 0 and "Traceback" not in ran.stderr


def test_a_config_far_beyond_memory_is_refused_with_the_estimate(sentiment_dir, monkeypatch):
    ran = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--set", "encoder.hidden_size=8192",
                  "--set", "encoder.num_layers=16")
    assert ran.returncode == 1, ran.stderr
    line = ran.stderr.strip().splitlines()[-1]
    assert line.startswith("zoo: error: this config needs about ") and "GiB to train (8,3" in line, line
    from zoo_core.training import guards

    # The rule, without a huge model: refused at more than MARGIN x what is free, allowed under it.
    config = zoo_core.get_config("lstm-classifier")
    monkeypatch.setattr(guards, "available_bytes", lambda device: 2**30)
    small = lambda: zoo_core.create_model("lstm-classifier", vocab=100)  # noqa: E731
    guards.check_memory(small, config, torch.device("cpu"))
    monkeypatch.setattr(guards, "available_bytes", lambda device: 1000)
    with pytest.raises(ConfigError, match="GiB to train"):
        guards.check_memory(small, config, torch.device("cpu"))
