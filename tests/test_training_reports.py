"""Learning curves (`zoo train --plot`), `zoo info MODEL` on a trained model, and plotting as an optional extra."""
from __future__ import annotations

import json
import sys

from click.testing import CliRunner

from conftest import TINY, run_zoo
from zoo_core.cli import main
from zoo_core.experiments.compare import RunSpec, write_results


def test_train_plot_draws_curves_and_info_shows_the_training_summary(sentiment_dir, tmp_path):
    model = tmp_path / "tiny.safetensors"
    trained = run_zoo("train", "gru-classifier", "--data", str(sentiment_dir), *TINY, "--out", str(model), "--plot")
    assert trained.returncode == 0, trained.stderr
    png = tmp_path / "tiny.curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote {png}" in trained.stdout

    shown = run_zoo("info", str(model))
    assert shown.returncode == 0, shown.stderr
    assert "architecture gru-classifier (task classify)" in shown.stdout
    assert "trained 2 epochs" in shown.stdout and "best valid_accuracy=" in shown.stdout
    assert "test: accuracy=" in shown.stdout
    epoch_lines = [line for line in shown.stdout.splitlines() if line.strip().startswith(("1 ", "2 "))]
    assert len(epoch_lines) == 2  # one line per epoch from the JSONL

    as_json = json.loads(run_zoo("info", str(model), "--json").stdout)
    assert as_json["training"]["epochs"] == 2 and len(as_json["history"]) == 2
    assert as_json["config"]["encoder"]["hidden_size"] == 16


def test_info_on_a_missing_model_file_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["info", str(tmp_path / "nope.safetensors")])
    assert result.exit_code == 1
    assert "no model" in result.output and "Traceback" not in result.output


def block_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError


def test_train_plot_without_matplotlib_says_what_to_install_before_training(monkeypatch, sentiment_dir):
    block_matplotlib(monkeypatch)
    result = CliRunner().invoke(main, ["train", "rnn-classifier", "--data", str(sentiment_dir), "--out", "x", "--plot"])
    assert result.exit_code == 1
    assert "needs matplotlib" in result.output and "pip install 'zoo-core[plot]'" in result.output


def test_compare_without_matplotlib_still_writes_table_and_csv(monkeypatch, tmp_path, sentiment_dir):
    out = tmp_path / "cmp"
    spec = RunSpec("rnn-classifier", {}, 0)
    row = {"run_id": spec.run_id, "architecture": "rnn-classifier", "overrides": {}, "seed": 0, "config": spec.label,
           "status": "ok", "error": "", "metric": "accuracy", "higher_is_better": True, "parameters": 123,
           "best_valid": 0.75, "test": {"accuracy": 0.7}, "epochs": 2, "wall_s": 3.0, "tokens_per_s": 100.0,
           "peak_memory_mb": 50.0, "history": [{"epoch": 1, "elapsed": 1.0, "valid_accuracy": 0.75}]}
    settings = {"data": str(sentiment_dir), "budget_minutes": None, "data_options": {}, "set": {}}
    write_results(out, settings, [row])
    block_matplotlib(monkeypatch)
    result = CliRunner().invoke(main, ["compare", "rnn-classifier", "--data", str(sentiment_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "resuming: 1 of 1 runs already done" in result.output  # nothing re-ran
    assert "0.7500 ± 0.0000" in result.output and "pip install 'zoo-core[plot]'" in result.output
    assert (out / "results.csv").is_file() and not (out / "curves.png").exists()
