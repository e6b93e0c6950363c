"""Reference results: committed results/*/results.json feed registry.json and docs/results.md (kept in sync)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import zoo_core.experiments.reference_results as reference
from zoo_core.cli import main
from zoo_core.experiments.compare import RunSpec, write_results

REPO = Path(__file__).resolve().parents[1]


def fake_comparison(root: Path) -> None:
    rows = []
    for arch, valids, tests in (("rnn-classifier", (0.60, 0.64), (0.58, 0.62)), ("lstm-classifier", (0.78, 0.76), (0.77, 0.75))):
        for seed, (valid, test) in enumerate(zip(valids, tests)):
            spec = RunSpec(arch, {}, seed)
            rows.append({"run_id": spec.run_id, "config": spec.label, "architecture": arch, "overrides": {},
                         "seed": seed, "status": "ok", "metric": "accuracy", "higher_is_better": True,
                         "best_valid": valid, "test": {"accuracy": test}, "epochs": 4, "wall_s": 30.0,
                         "parameters": 1000, "tokens_per_s": 900.0, "peak_memory_mb": 300.0})
    settings = {"architectures": ["rnn-classifier", "lstm-classifier"], "data": "../shared/data/rt-polarity",
                "grid": [], "seeds": 2, "budget_minutes": 1.5, "data_options": {}, "set": {"head.dropout": 0.5}}
    write_results(root / "results" / "classifiers", settings, rows)


def test_each_architecture_gets_its_best_configuration_with_the_command(tmp_path):
    fake_comparison(tmp_path)
    results = reference.reference_results(tmp_path)
    lstm = results["lstm-classifier"]
    assert lstm["data"] == "rt-polarity" and lstm["metric"] == "accuracy" and lstm["seeds"] == 2
    assert lstm["test_mean"] == 0.76 and lstm["valid_mean"] == 0.77 and lstm["overrides"] == {"head.dropout": 0.5}
    assert lstm["command"] == ("zoo compare rnn-classifier lstm-classifier --data ../shared/data/rt-polarity "
                               "--set head.dropout=0.5 --seeds 2 --budget 1.5 --out results/classifiers")
    assert results["rnn-classifier"]["test_mean"] == 0.6


def test_docs_tables_are_regenerated_between_markers_and_checked(tmp_path):
    fake_comparison(tmp_path)
    docs = tmp_path / "docs" / "results.md"
    docs.parent.mkdir()
    docs.write_text("# Results\n\nHand-written notes stay.\n")
    assert "out of date" in reference.sync_results_docs(tmp_path, check=True)
    reference.sync_results_docs(tmp_path)
    text = docs.read_text()
    assert "Hand-written notes stay." in text and "## classifiers" in text
    lines = text.splitlines()
    first_row = next(i for i, line in enumerate(lines) if line.startswith("| `"))
    assert lines[first_row].startswith("| `lstm-classifier` | 2/2 | 0.7700 ± 0.0141 | 0.7600 ± 0.0141")
    assert reference.sync_results_docs(tmp_path, check=True) is None
    # a changed result makes the check fail again, and a rerun fixes the same block in place
    data = json.loads((tmp_path / "results/classifiers/results.json").read_text())
    data["runs"][0]["best_valid"] = 0.9
    write_results(tmp_path / "results/classifiers", data["settings"], data["runs"])
    assert reference.sync_results_docs(tmp_path, check=True) is not None
    reference.sync_results_docs(tmp_path)
    assert docs.read_text().count("zoo:results:classifiers begin") == 1


def test_list_results_shows_the_reference_result(tmp_path, monkeypatch):
    fake_comparison(tmp_path)
    monkeypatch.setattr(reference, "SOURCE_ROOT", tmp_path)
    result = CliRunner().invoke(main, ["list", "*-classifier", "--results"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("lstm-classifier"))
    assert "rt-polarity test accuracy 0.7600 ± 0.0141" in line
    rows = json.loads(CliRunner().invoke(main, ["list", "--results", "--json"]).output)
    assert next(r for r in rows if r["name"] == "rnn-classifier")["results"]["seeds"] == 2


def test_committed_results_match_registry_json_and_docs():
    """The sync test: `python -m tools.registry` regenerates both from results/; nothing may drift."""
    expected = reference.reference_results(REPO)
    catalog = json.loads((REPO / "registry.json").read_text())
    stored = {a["name"]: a.get("results") for a in catalog["architectures"]}
    for name, entry in expected.items():
        assert stored.get(name) == entry, f"registry.json results of {name} are stale; run `python -m tools.registry`"
    assert not {n for n, r in stored.items() if r and n not in expected}, "registry.json has results with no source"
    assert reference.sync_results_docs(REPO, check=True) is None
