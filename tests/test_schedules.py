"""Learning-rate schedules (issue 15 item 5): the learning rate of every optimizer step is the formula's."""
from __future__ import annotations

import math

import pytest

import zoo_core
from zoo_core.training import loop

BASE = 0.01


class Recorder:
    def __init__(self):
        self.lrs, self.rows = [], []

    def step(self, step, values):
        self.lrs.append(values["lr"])

    def epoch(self, step, row):
        self.rows.append(row)


def train_recording(monkeypatch, sentiment_dir, schedule, epochs=3):
    recorder = Recorder()
    original = loop.fit
    monkeypatch.setattr("zoo_core.training.session.fit",
                        lambda *args, **kwargs: original(*args, **{**kwargs, "tracker": recorder}))
    zoo_core.train("gru-classifier", str(sentiment_dir), progress=False, overrides={
        "embedding": {"dim": 8}, "encoder": {"hidden_size": 8},
        "training": {"epochs": epochs, "lr": BASE, "patience": None, "batch_size": 64, "schedule": schedule}})
    return recorder


def expected(kind, step, warmup, total, min_ratio=0.0):
    """The schedules written out independently of training/schedules.py (the lr used by step ``step``, 0-based)."""
    if step < warmup:
        return BASE * (step + 1) / warmup
    p = (step - warmup) / (total - warmup)
    if kind == "constant":
        return BASE
    if kind == "linear":
        return BASE * (1 - (1 - min_ratio) * p)
    return BASE * (min_ratio + (1 - min_ratio) * (1 + math.cos(math.pi * p)) / 2)


@pytest.mark.parametrize("kind,schedule", [
    ("constant", {"type": "constant", "warmup_steps": 4}),
    ("linear", {"type": "linear", "warmup_fraction": 0.2, "min_lr_ratio": 0.1}),
    ("cosine", {"type": "cosine", "warmup_steps": 3}),
])
def test_learning_rate_each_step_is_the_formula(monkeypatch, sentiment_dir, kind, schedule):
    recorder = train_recording(monkeypatch, sentiment_dir, schedule)
    total = len(recorder.lrs)  # 3 epochs of the training split, 64 a batch
    assert total == 3 * math.ceil(len_train(sentiment_dir) / 64)
    warmup = schedule.get("warmup_steps") or round(schedule["warmup_fraction"] * total)
    # The tracker sees the lr after each step, i.e. the one the next step uses.
    for step, lr in enumerate(recorder.lrs[:-1], start=1):
        assert lr == pytest.approx(expected(kind, step, warmup, total, schedule.get("min_lr_ratio", 0.0)), rel=1e-9)


def test_plateau_halves_the_rate_after_an_epoch_without_improvement(monkeypatch, sentiment_dir):
    recorder = train_recording(monkeypatch, sentiment_dir, {"type": "plateau", "factor": 0.5, "patience": 0},
                               epochs=4)
    best, lr = -math.inf, BASE
    for row in recorder.rows:
        assert row["lr"] == pytest.approx(lr)
        if row["valid_accuracy"] > best:
            best = row["valid_accuracy"]
        else:
            lr *= 0.5
    assert lr < BASE  # the run had an epoch without improvement, so the rule was exercised


def len_train(sentiment_dir) -> int:
    from zoo_core.extension.registry import get_registry
    from zoo_core.workflows import data_options, prepare_data, resolve_config

    config = resolve_config("gru-classifier")
    task = get_registry().task(config.task).load()(config)
    return len(prepare_data(task, data_options(str(sentiment_dir)), announce=False).train)


def test_a_bad_schedule_is_one_line():
    from zoo_core.errors import ConfigError

    with pytest.raises(ConfigError, match="warmup"):
        zoo_core.get_config("gru-classifier", training__schedule={"type": "plateau", "warmup_steps": 10})
