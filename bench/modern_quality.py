"""Issue 19's quality table: every recurrence at an equal wall-clock budget, as a char LM on Tiny Shakespeare
(validation nats/char) and as an rt-polarity classifier (test accuracy over seeds), against the LSTM presets.
One table, generated from `zoo compare` results.json files.

    .venv/bin/python bench/modern_quality.py --lm results/modern/lm10-a/results.json \
        results/modern/lm10-b/results.json --classifier results/modern/cls-a/results.json \
        results/modern/cls-b/results.json --write-docs

A later file's run of the same architecture and seed replaces an earlier one's (a rerun after a fix).
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs_section import replace_section  # noqa: E402 - a sibling script, not a package

DOCS = Path(__file__).resolve().parents[1] / "docs" / "modern.md"
MARKERS = ("<!-- modern-quality:begin -->", "<!-- modern-quality:end -->")
BASELINE = "lstm"


def encoder_of(architecture: str) -> str:
    """char-mingru-lm and mingru-classifier are both `mingru`."""
    return architecture.removeprefix("char-").removesuffix("-lm").removesuffix("-classifier")


def ok_runs(paths: list[str]) -> dict[tuple[str, int], dict]:
    """(architecture, seed) -> the run, from the last file that has it finished."""
    chosen = {}
    for path in paths:
        for run in json.loads(Path(path).read_text())["runs"]:
            if run["status"] == "ok":
                chosen[(run["architecture"], run["seed"])] = {**run, "source": path}
    return chosen


def lm_rows(paths: list[str]) -> dict[str, dict]:
    rows = {}
    for (architecture, _seed), run in ok_runs(paths).items():
        rows[encoder_of(architecture)] = {
            "model": architecture, "parameters": run["parameters"], "loss": run["best_valid"],
            "epochs": len(run.get("history") or []), "tokens_per_s": run["tokens_per_s"],
            "train_minutes": run["train_s"] / 60, "source": run["source"]}
    return rows


def classifier_rows(paths: list[str]) -> dict[str, dict]:
    by_encoder: dict[str, list[dict]] = {}
    for (architecture, _seed), run in sorted(ok_runs(paths).items()):
        by_encoder.setdefault(encoder_of(architecture), []).append(run)
    rows = {}
    for encoder, runs in by_encoder.items():
        test = [100 * run["test"]["accuracy"] for run in runs]
        rows[encoder] = {
            "model": runs[0]["architecture"], "seeds": len(runs), "test_mean": statistics.mean(test),
            "test_sd": statistics.stdev(test) if len(test) > 1 else 0.0,
            "valid_mean": 100 * statistics.mean(run["best_valid"] for run in runs),
            "epochs": "/".join(f"{run['best_epoch']}:{run['epochs']}" for run in runs),
            "stopped": sorted({run["stopped"] for run in runs}), "source": runs[0]["source"]}
    return rows


def quality_table(lm_paths: list[str], classifier_paths: list[str]) -> str:
    """Rows by encoder, best char LM first; a gap is against the LSTM preset of the same task."""
    lms, classifiers = lm_rows(lm_paths), classifier_rows(classifier_paths)
    lm_base = lms.get(BASELINE, {}).get("loss")
    cls_base = classifiers.get(BASELINE, {}).get("test_mean")
    lines = ["| encoder | char LM valid nats/char | - char-lstm-lm | LM bits/char | LM train tokens/s | LM epochs begun "
             "| LM parameters | LM run | rt-polarity test accuracy % (mean ± sd) | - lstm-classifier | valid accuracy % "
             "| best epoch:epochs per seed |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    order = sorted(set(lms) | set(classifiers), key=lambda name: (lms.get(name, {}).get("loss", math.inf), name))
    for name in order:
        lm, cls = lms.get(name), classifiers.get(name)
        lm_cells = (f"{lm['loss']:.4f} | {_gap(lm['loss'], lm_base, '.3f')} | {lm['loss'] / math.log(2):.3f} | "
                    f"{lm['tokens_per_s']:,.0f} | {lm['epochs']} | {lm['parameters']:,} | {Path(lm['source']).parent.name}"
                    ) if lm else "- | - | - | - | - | - | -"
        cls_cells = (f"{cls['test_mean']:.2f} ± {cls['test_sd']:.2f} ({cls['seeds']}) | "
                     f"{_gap(cls['test_mean'], cls_base, '.2f')} | {cls['valid_mean']:.2f} | {cls['epochs']}"
                     ) if cls else "- | - | - | -"
        label = f"**{name}**" if name == BASELINE else f"`{name}`"
        lines.append(f"| {label} | {lm_cells} | {cls_cells} |")
    sources = sorted({row["source"] for row in [*lms.values(), *classifiers.values()]})
    lines.append("")
    lines.append("From " + ", ".join(f"`{source}`" for source in sources) + ".")
    return "\n".join(lines)


def _gap(value: float, baseline: float | None, spec: str) -> str:
    return "-" if baseline is None else f"{value - baseline:+{spec}}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lm", nargs="*", default=[], metavar="RESULTS_JSON", help="char LM `zoo compare` results")
    parser.add_argument("--classifier", nargs="*", default=[], metavar="RESULTS_JSON",
                        help="rt-polarity classifier `zoo compare` results")
    parser.add_argument("--write-docs", action="store_true", help=f"put the table in {DOCS.name} between its markers")
    args = parser.parse_args()
    if not args.lm and not args.classifier:
        parser.error("give --lm and/or --classifier results.json files")
    table = quality_table(args.lm, args.classifier)
    print(table)
    if args.write_docs:
        replace_section(DOCS, table, MARKERS)


if __name__ == "__main__":
    main()
