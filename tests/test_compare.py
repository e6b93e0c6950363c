"""`zoo compare`: one process per run, failures as rows, resuming after a kill, tables and pictures."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import run_zoo
from zoo_core.errors import ZooError
from zoo_core.experiments.compare import parse_grid, plan_runs, summarize

TINY_SET = ["--set", "embedding.dim=8", "--set", "training.epochs=2", "--set", "training.batch_size=64"]


def test_grid_is_every_combination_of_values():
    grid = parse_grid(["encoder.hidden_size=8,16", "head.pooling=max,mean"])
    assert len(grid) == 4
    assert {"encoder": {"hidden_size": 16}, "head": {"pooling": "mean"}} in grid
    specs = plan_runs(["rnn-classifier", "gru-classifier"], grid, seeds=3)
    assert len(specs) == 24 and len({s.run_id for s in specs}) == 24


def test_grid_without_values_is_one_clear_error():
    with pytest.raises(ZooError, match="expected KEY=V1,V2"):
        parse_grid(["encoder.hidden_size"])


def test_summary_is_mean_and_spread_over_seeds_best_first():
    def row(arch, seed, valid, test):
        return {"run_id": f"{arch}-{seed}", "architecture": arch, "overrides": {}, "seed": seed, "status": "ok",
                "metric": "accuracy", "higher_is_better": True, "best_valid": valid, "test": {"accuracy": test},
                "epochs": 3, "wall_s": 10.0, "parameters": 100, "tokens_per_s": 5.0, "peak_memory_mb": 9.0}

    rows = [row("rnn-classifier", 0, 0.6, 0.5), row("rnn-classifier", 1, 0.7, 0.6),
            row("lstm-classifier", 0, 0.8, 0.75), row("lstm-classifier", 1, 0.8, 0.77),
            {"run_id": "gru-classifier-0", "architecture": "gru-classifier", "overrides": {}, "seed": 0,
             "status": "failed", "error": "boom"}]
    summary = summarize(rows)
    assert [s["architecture"] for s in summary] == ["lstm-classifier", "rnn-classifier", "gru-classifier"]
    assert summary[0]["test_mean"] == pytest.approx(0.76)
    assert summary[1]["valid_std"] == pytest.approx(0.0707, abs=1e-4)
    assert (summary[2]["ok"], summary[2]["runs"]) == (0, 1)


def test_a_failing_run_is_a_row_and_the_others_go_on(sentiment_dir, tmp_path):
    out = tmp_path / "cmp"
    result = run_zoo("compare", "rnn-classifier", "--data", str(sentiment_dir), *TINY_SET,
                     "--grid", "encoder.hidden_size=0,8", "--threads", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    saved = json.loads((out / "results.json").read_text())
    assert saved["settings"]["threads"] == 1
    runs = saved["runs"]
    assert [r["status"] for r in runs] == ["failed", "ok"]
    assert "hidden_size" in runs[0]["error"]
    good = runs[1]
    assert good["parameters"] > 0 and good["epochs"] == 2 and 0 <= good["best_valid"] <= 1
    assert "accuracy" in good["test"] and good["tokens_per_s"] > 0 and good["peak_memory_mb"] > 0
    assert [h["epoch"] for h in good["history"]] == [1, 2]
    csv_lines = (out / "results.csv").read_text().splitlines()
    assert csv_lines[0].startswith("run_id,architecture,overrides,seed,status,error") and len(csv_lines) == 3
    # the table: best configuration first, the failed one last with 0/1 runs ok
    table = result.stdout.splitlines()
    assert "rnn-classifier encoder.hidden_size=8" in table[2] and "1/1" in table[2]
    assert "encoder.hidden_size=0" in table[3] and "0/1" in table[3]
    assert (out / "curves.png").stat().st_size > 1000 and (out / "summary.png").stat().st_size > 1000


def test_killed_comparison_resumes_without_rerunning_finished_rows(sentiment_dir, tmp_path):
    out = tmp_path / "cmp"
    args = [sys.executable, "-m", "zoo_core.cli", "compare", "rnn-classifier", "--data", str(sentiment_dir),
            *TINY_SET, "--grid", "encoder.hidden_size=4,6,8", "--threads", "1", "--no-plots", "--out", str(out)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    results = out / "results.json"
    deadline = time.monotonic() + 240
    while not (results.exists() and len(json.loads(results.read_text())["runs"]) >= 1):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the first run never finished"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # a hard kill while the second run trains
    process.wait()
    first = json.loads(results.read_text())["runs"]
    assert len(first) == 1 and first[0]["status"] == "ok"

    resumed = run_zoo(*args[3:])
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming: 1 of 3 runs already done" in resumed.stderr
    assert resumed.stderr.count("seed 0 ...") == 2  # only the two unfinished runs started
    runs = json.loads(results.read_text())["runs"]
    assert [r["overrides"]["encoder"]["hidden_size"] for r in runs] == [4, 6, 8]
    assert runs[0] == first[0]  # the finished row was kept, not re-run
    assert all(r["status"] == "ok" for r in runs)


def test_resuming_with_other_data_or_budget_is_refused(sentiment_dir, tmp_path):
    from zoo_core.experiments.compare import Comparison, write_results

    out = tmp_path / "cmp"
    write_results(out, {"data": "elsewhere", "budget_minutes": None, "data_options": {}, "set": {}}, [])
    with pytest.raises(ZooError, match="holds a comparison with data=\"elsewhere\""):
        Comparison(["rnn-classifier"], str(sentiment_dir), out).run(echo=lambda line: None)
