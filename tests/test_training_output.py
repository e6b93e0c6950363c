"""What `zoo train` says (issue 15 item 6): why it stopped and whether the last epoch was partial, progress
lines in a log file, LM sizes in tokens or characters, --threads."""
from __future__ import annotations

import re

import zoo_core
from conftest import run_zoo
from zoo_core.training import loop

TINY = ["--set", "embedding.dim=8", "--set", "encoder.hidden_size=8", "--threads", "1"]


def test_last_line_gives_the_stop_reason(sentiment_dir):
    # "stopped: 3 epochs done" and the signal lines: tests/test_resume.py.
    ran = run_zoo("train", "gru-classifier", "--data", str(sentiment_dir), *TINY, "--epochs", "10000", "--quiet",
                  "--set", "training.patience=null", "--set", "training.max_minutes=0.01")
    assert ran.returncode == 0
    assert re.fullmatch(r"stopped: time budget \(0\.01 minutes\)(; the last epoch was partial)?",
                        ran.stdout.splitlines()[-1])
    ran = run_zoo("train", "gru-classifier", "--data", str(sentiment_dir), *TINY, "--epochs", "50", "--quiet",
                  "--set", "training.patience=1", "--set", "training.lr=0.05")
    assert ran.returncode == 0
    assert ran.stdout.splitlines()[-1] == "stopped: early stopping (no better valid_accuracy for 1 epochs)"


def test_a_log_file_gets_a_progress_line_with_step_loss_and_throughput(sentiment_dir, monkeypatch, capsys):
    monkeypatch.setattr(loop, "PROGRESS_SECONDS", 0.0)  # every step, instead of every 30 s
    zoo_core.train("gru-classifier", str(sentiment_dir), training__epochs=1, embedding__dim=8,
                   encoder__hidden_size=8)
    lines = [line for line in capsys.readouterr().err.splitlines() if re.match(r"epoch 1 step \d+:", line)]
    assert len(lines) > 3
    assert re.fullmatch(r"epoch 1 step \d+: loss=\d+\.\d{4} \([\d,]+ tok/s\)", lines[-1])


def test_language_model_sizes_are_characters(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("the cat sat on the mat. " * 400)
    ran = run_zoo("train", "char-rnn-lm", "--data", str(text), "--set", "encoder.hidden_size=8", "--epochs", "1",
                  "--threads", "1")
    assert ran.returncode == 0, ran.stderr
    assert re.search(r"[\d,]+ train / [\d,]+ valid / [\d,]+ test characters on cpu", ran.stderr), ran.stderr
