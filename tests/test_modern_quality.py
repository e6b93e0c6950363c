"""bench/modern_quality.py: issue 19's one quality table, generated from `zoo compare` results.json files."""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quality():
    return load("modern_quality")


def lm_run(architecture, loss, status="ok", tokens_per_s=1000.0):
    return {"architecture": architecture, "seed": 0, "status": status, "parameters": 1000, "best_valid": loss,
            "history": [{"epoch": 1}, {"epoch": 2}], "tokens_per_s": tokens_per_s, "train_s": 600.0}


def classifier_run(architecture, seed, accuracy, valid=0.8):
    return {"architecture": architecture, "seed": seed, "status": "ok", "parameters": 1000, "best_valid": valid,
            "test": {"accuracy": accuracy}, "best_epoch": 3, "epochs": 5, "stopped": "epochs", "train_s": 60.0,
            "tokens_per_s": 1.0}


def write(path: Path, runs: list[dict]) -> str:
    path.write_text(json.dumps({"runs": runs}))
    return str(path)


def rows(table: str) -> dict[str, list[str]]:
    lines = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| encoder")]
    return {cells[0].strip("`*"): cells[1:] for cells in
            ([cell.strip() for cell in line.strip("|").split("|")] for line in lines)}


def test_rows_are_by_encoder_best_lm_first_with_gaps_against_the_lstm(quality, tmp_path):
    lm = write(tmp_path / "lm.json", [lm_run("char-lstm-lm", 1.50), lm_run("char-mingru-lm", 1.40),
                                      lm_run("char-rwkv-lm", 1.60)])
    cls = write(tmp_path / "cls.json", [classifier_run("lstm-classifier", s, a) for s, a in enumerate([0.74, 0.76])]
                + [classifier_run("mingru-classifier", s, a) for s, a in enumerate([0.70, 0.72])])
    table = rows(quality.quality_table([lm], [cls]))
    assert list(table) == ["mingru", "lstm", "rwkv"]
    assert table["mingru"][0] == "1.4000" and table["mingru"][1] == "-0.100"
    assert float(table["mingru"][2]) == pytest.approx(1.40 / math.log(2), abs=1e-3)
    assert table["mingru"][7] == f"71.00 ± {math.sqrt(2):.2f} (2)"  # sample sd of 70 and 72
    assert table["mingru"][8] == "-4.00"
    assert table["rwkv"][7:] == ["-", "-", "-", "-"]  # no classifier run: shown as missing, not as zero


def test_a_later_file_replaces_an_earlier_run_and_failed_runs_are_left_out(quality, tmp_path):
    (tmp_path / "first").mkdir(), (tmp_path / "rerun").mkdir()
    first = write(tmp_path / "first" / "results.json", [lm_run("char-lstm-lm", 1.5), lm_run("char-indrnn-lm", 15.0)])
    rerun = write(tmp_path / "rerun" / "results.json", [lm_run("char-indrnn-lm", 1.9), lm_run("char-mlstm-lm", 0.0, "failed")])
    table = quality.quality_table([first, rerun], [])
    assert rows(table)["indrnn"][0] == "1.9000" and rows(table)["indrnn"][6] == "rerun"
    assert rows(table)["lstm"][6] == "first"
    assert "mlstm" not in rows(table)
    assert "rerun/results.json" in table and "first/results.json" in table


def test_write_docs_replaces_only_its_own_section(quality, tmp_path):
    sections = load("docs_section")
    page = tmp_path / "page.md"
    page.write_text("# Title\n\nkept\n")
    sections.replace_section(page, "table one", quality.MARKERS)
    sections.replace_section(page, "table two", quality.MARKERS)
    text = page.read_text()
    assert text.startswith("# Title\n\nkept\n")
    assert "table two" in text and "table one" not in text
    assert text.count(quality.MARKERS[0]) == 1
    assert not list(tmp_path.glob("*.tmp"))
